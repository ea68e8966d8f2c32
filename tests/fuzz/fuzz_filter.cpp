// Fuzz filter-expression building: flag values → Query → each built-in provider's plan, so
// every dialect a built-in definition names (SCIM, collection `filters`, OData, a search
// phrase, Lucene, query parameters) and every time format of its window.
//
// Input: lines "FLAG VALUE" as on the command line, e.g. "--actor-id u-1"; flags: --since,
// --until, --action, --actor-id, --entity, --entity-type, --filter, --param, --limit,
// --page-size. Other lines are ignored.
#include "fuzz_support.hpp"

#include "auditfetch/provider/plan.hpp"
#include "auditfetch/query/query.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>

using namespace auditfetch;
using namespace auditfetch::fuzz;

namespace {

std::optional<std::size_t> number(std::string_view text) {
  std::size_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || ptr != text.data() + text.size())
    return std::nullopt;
  return n;
}

// Returns false when the CLI would refuse the flags before planning.
bool read_query(std::string_view text, Query& q) {
  for (const auto line : split(text, '\n')) {
    const auto space = line.find(' ');
    if (space == std::string_view::npos)
      continue;
    const auto flag = line.substr(0, space);
    const std::string value(line.substr(space + 1));
    try {
      if (flag == "--since")
        q.since = parse_time_arg(value, fixed_now(), flag);
      else if (flag == "--until")
        q.until = parse_time_arg(value, fixed_now(), flag);
      else if (flag == "--action")
        q.actions.push_back(value);
      else if (flag == "--actor-id")
        q.actor_id = value;
      else if (flag == "--entity")
        q.entity = value;
      else if (flag == "--entity-type")
        q.entity_type = value;
      else if (flag == "--filter")
        q.native_filters.push_back(value);
      else if (flag == "--param")
        q.params.push_back(parse_param(value));
      else if (flag == "--limit" || flag == "--page-size") {
        const auto n = number(value);
        if (!n || (flag == "--limit" && *n == 0))
          return false;
        (flag == "--limit" ? q.limit : q.page_size) = *n;
      }
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::usage)
        fail("a flag value threw a non-usage error");
      return false;
    }
  }
  return true;
}

using Params = std::vector<std::pair<std::string, std::string>>;

// The query as a server reads it: form decoding, '+' is a space.
Params decoded_params(const boost::urls::url_view& url) {
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  Params out;
  for (const auto& p : url.params(opts))
    out.emplace_back(p.key, p.has_value ? p.value : std::string());
  return out;
}

bool has_pair(const Params& params, const std::pair<std::string, std::string>& pair) {
  for (const auto& p : params)
    if (p == pair)
      return true;
  return false;
}

// The string literals of an expression quoted with `quote` (SCIM, collection filters, Lucene: "..." with
// backslash escapes; OData: '...' with '' for a quote; a search phrase: "..." with backslash
// escapes, or a bare word after a colon), unescaped; false for an unterminated one.
bool literals(std::string_view expression, char quote, bool doubled, std::vector<std::string>& out) {
  for (std::size_t i = 0; i < expression.size(); ++i) {
    if (expression[i] != quote)
      continue;
    std::string literal;
    for (++i;; ++i) {
      if (i >= expression.size())
        return false;
      if (!doubled && expression[i] == '\\') {
        if (++i >= expression.size())
          return false;
      } else if (expression[i] == quote) {
        if (!doubled || i + 1 >= expression.size() || expression[i + 1] != quote)
          break;
        ++i;
      }
      literal += expression[i];
    }
    out.push_back(std::move(literal));
  }
  return true;
}

bool pushed(const ListPlan& plan, std::string_view name) {
  for (const auto& p : plan.pushed)
    if (p == name)
      return true;
  return false;
}

void check_plan(const ProviderContext& context, const Query& q, const ListPlan& plan) {
  const auto& spec = *context.spec;
  const auto parsed = boost::urls::parse_uri(plan.first.url);
  if (!parsed)
    fail("the planned URL does not parse");
  const auto base = boost::urls::parse_uri(context.base_url);
  if (!base || parsed->scheme() != base->scheme() || parsed->encoded_host() != base->encoded_host() ||
      parsed->port() != base->port())
    fail("the planned URL left the provider's origin");
  auto params = decoded_params(*parsed);
  if (spec.list.json_body) {
    // Parameters in a JSON body (1Password): each a member, the page size a number.
    boost::system::error_code ec;
    const auto body = boost::json::parse(plan.first.body, ec);
    if (ec || !body.is_object())
      fail("a JSON-body listing's body is not a JSON object");
    for (const auto& [key, value] : body.as_object())
      params.emplace_back(std::string(key), value.is_string() ? std::string(value.as_string())
                                                              : boost::json::serialize(value));
  }

  // Every --param arrives as given, and so does every native parameter the plan made.
  for (const auto& p : q.params)
    if (!has_pair(params, p))
      fail("a --param did not arrive as given");
  for (const auto& p : plan.native)
    if (!has_pair(params, p))
      fail("a native filter parameter did not arrive as planned");

  const std::pair<const char*, const std::optional<std::string>*> values[] = {
      {"actor_id", &q.actor_id}, {"entity", &q.entity}, {"entity_type", &q.entity_type}};
  const auto& dialect = spec.list.dialect;
  if (dialect == "query_params") {
    for (const auto& [name, value] : values) {
      if (!pushed(plan, name))
        continue;
      bool any = false;
      for (const auto& [key, native] : plan.native)
        any = any || native == **value;
      if (!any)
        fail("a pushed filter value did not arrive as given");
    }
    return;
  }
  if (dialect.empty() || !q.native_filters.empty())
    return;
  // Without raw --filter text, every value is one literal of the one expression: none
  // breaks out of its quotes.
  std::vector<std::string> found;
  for (const auto& [key, expression] : plan.native) {
    const bool ok = dialect == "odata" ? literals(expression, '\'', true, found)
                                       : literals(expression, '"', false, found);
    if (!ok)
      fail("unterminated literal in the filter expression");
  }
  for (const auto& [name, value] : values) {
    if (!pushed(plan, name))
      continue;
    bool any = false;
    for (const auto& literal : found)
      any = any || literal == **value;
    // A search phrase writes a plain word bare: then it is a whole space-separated term.
    if (!any && dialect == "search_phrase")
      for (const auto& [key, expression] : plan.native)
        for (const auto term : split(expression, ' '))
          any = any || (term.size() > value->value().size() &&
                        term.substr(term.size() - value->value().size()) == **value &&
                        term[term.size() - value->value().size() - 1] == ':');
    if (!any)
      fail("a pushed value is not one literal of the expression");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Query q;
  if (!read_query(as_text(data, size), q))
    return 0;
  for (const auto& context : builtin().contexts) {
    try {
      const auto plan = plan_list(context, q, fixed_now());
      check_plan(context, q, plan);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::usage)
        fail("plan_list threw a non-usage error");
    }
  }
  return 0;
}
