#include "auditfetch/provider/plan.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/provider/actions.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/sanitize.hpp"
#include "auditfetch/util/text.hpp"
#include "auditfetch/util/utf8.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace auditfetch {
namespace {

// The native action values for the requested actions, or nullopt when any of them cannot be
// expressed (a unified action backed by a pattern such as "*.CREATED").
std::optional<std::vector<std::string>> native_action_values(const ProviderSpec& spec,
                                                             const std::vector<std::string>& actions) {
  if (actions.empty())
    return std::nullopt;
  std::vector<std::string> values;
  for (const auto& action : actions) {
    if (!is_unified_action(action)) {
      values.push_back(action);
      continue;
    }
    auto natives = native_actions_for(spec, action);
    if (!natives)
      return std::nullopt;
    values.insert(values.end(), natives->begin(), natives->end());
  }
  // A unified action nothing maps to matches nothing; the server cannot say "false".
  if (values.empty())
    return std::nullopt;
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

// A templated value, or nullopt when it names a setting that is not set.
std::optional<std::string> template_value(const std::string& text, const Vars& vars,
                                          Encoding encoding = Encoding::none) {
  try {
    return expand_template(text, vars, encoding);
  } catch (const Error&) {
    return std::nullopt;
  }
}

// The first path whose settings are all set.
std::string choose_path(const std::vector<std::string>& paths, const Vars& vars) {
  for (const auto& path : paths)
    if (auto expanded = template_value(path, vars, Encoding::path_segment))
      return *expanded;
  return expand_template(paths.front(), vars, Encoding::path_segment); // names what is missing
}

void set_headers(HttpRequest& request, const ProviderContext& context) {
  request.set_header("Accept", "application/json");
  for (const auto& [name, value] : context.spec->headers)
    request.set_header(name, expand_template(value, context.vars, Encoding::none));
}

void add_params(std::vector<std::pair<std::string, std::string>>& out,
                const std::vector<ParamSpec>& params, const Vars& vars) {
  for (const auto& param : params)
    if (auto value = template_value(param.value, vars))
      out.emplace_back(param.name, *value);
}

std::string fingerprint_of(const ProviderContext& context, const Query& query) {
  std::string text = context.spec->name;
  for (const auto& [name, value] : context.vars)
    text += fmt::format("\n{}={}", name, value);
  text += fmt::format("\nactions={}\nactor={}\nentity={}\nentity_type={}\nfilters={}",
                      fmt::join(query.actions, ","), query.actor_id.value_or(""),
                      query.entity.value_or(""), query.entity_type.value_or(""),
                      fmt::join(query.native_filters, "\x1f"));
  for (const auto& [name, value] : query.params)
    text += fmt::format("\nparam {}={}", name, value);
  return sha256_hex(text).substr(0, 16);
}

} // namespace

ListPlan plan_list(const ProviderContext& context, const Query& query, Timestamp now) {
  const auto& spec = *context.spec;
  const auto& list = spec.list;
  const auto& window = list.window;
  ListPlan plan;

  if (query.since && query.until && *query.since >= *query.until)
    throw Error(ErrorKind::usage,
                fmt::format("--since {} is not before --until {}", format_rfc3339_ms(*query.since),
                            format_rfc3339_ms(*query.until)));
  plan.effective_since = query.since;
  plan.effective_until = query.until;
  if ((window.required || window.since_by_default) && !plan.effective_since)
    plan.effective_since =
        (query.until ? *query.until : now) - parse_duration(window.default_since, "default_since");
  if (window.pair && (plan.effective_since || plan.effective_until) && !plan.effective_since)
    plan.effective_since = Timestamp{}; // the Unix epoch: everything before --until
  // One millisecond past `now`, so an activity stamped this very millisecond is included.
  if ((window.required || (window.pair && plan.effective_since)) && !plan.effective_until)
    plan.effective_until = now + std::chrono::milliseconds{1};

  if (!query.native_filters.empty() && (!list.filter || !list.filter->takes_native()))
    throw Error(ErrorKind::usage, fmt::format("--filter: {} has no native filter language", spec.name),
                "use the unified filters (--action, --actor-id, --since, ...)");

  if (!query.native_filters.empty() && list.paging->query_on_first_page_only())
    throw Error(ErrorKind::usage,
                fmt::format("--filter: {} sends its query with the first page only (later pages follow "
                            "a checkpoint), so a native filter would not hold for the rest",
                            spec.name),
                "use the unified filters (--action, --actor-id, --entity, ...): they are also applied locally");

  std::vector<std::pair<std::string, std::string>> native_params;
  FilterTerms terms;
  if (plan.effective_since && !window.since_param.empty()) {
    native_params.emplace_back(window.since_param,
                               window.format->format(*plan.effective_since, Bound::lower));
    plan.pushed.emplace_back("since");
  } else {
    terms.since = plan.effective_since;
  }
  if (plan.effective_until && !window.until_param.empty()) {
    // An API that includes its upper bound gets the last instant before --until, unless that
    // is not after the start (a window of one millisecond): then --until itself, a superset
    // the local filter trims, for APIs that refuse an empty range.
    const bool inclusive = window.until_inclusive &&
                           !(plan.effective_since &&
                             *plan.effective_until - std::chrono::milliseconds{1} <= *plan.effective_since);
    native_params.emplace_back(
        window.until_param,
        window.format->format(*plan.effective_until, inclusive ? Bound::upper_inclusive : Bound::upper_exclusive));
    plan.pushed.emplace_back("until");
  } else {
    terms.until = plan.effective_until;
  }
  terms.actions = native_action_values(spec, query.actions);
  for (const auto& [name, value] : {std::pair{"actor_id", query.actor_id}, std::pair{"entity", query.entity},
                                    std::pair{"entity_type", query.entity_type}})
    if (value)
      terms.equals.emplace_back(name, *value);
  terms.native = query.native_filters;
  if (list.filter) {
    auto pushed = list.filter->push(terms);
    native_params.insert(native_params.end(), pushed.params.begin(), pushed.params.end());
    plan.pushed.insert(plan.pushed.end(), pushed.pushed.begin(), pushed.pushed.end());
  }
  plan.native = native_params;

  plan.filter = LocalFilter::of(query);
  const std::pair<const char*, bool> requested[] = {
      {"since", query.since.has_value()},   {"until", query.until.has_value()},
      {"action", !query.actions.empty()},   {"actor_id", query.actor_id.has_value()},
      {"entity", query.entity.has_value()}, {"entity_type", query.entity_type.has_value()},
  };
  std::vector<std::string> pushed; // in a fixed order
  for (const auto& [name, present] : requested) {
    const bool server = std::find(plan.pushed.begin(), plan.pushed.end(), name) != plan.pushed.end();
    if (server)
      pushed.emplace_back(name);
    else if (present)
      plan.local.emplace_back(name);
  }
  plan.pushed = std::move(pushed);

  const auto& ps = list.page_size;
  if (ps.param.empty() && query.page_size)
    throw Error(ErrorKind::usage, fmt::format("--page-size: {} does not let clients choose a page size", spec.name));
  plan.page_size = query.page_size.value_or(ps.default_size);
  if (!ps.param.empty() && (plan.page_size == 0 || plan.page_size > ps.max))
    throw Error(ErrorKind::usage,
                fmt::format("--page-size {} is out of range for {}", plan.page_size, spec.name),
                fmt::format("use 1 to {}", ps.max));
  // With everything evaluated by the server, a small --limit needs only a small page; not
  // where the continuation is kept as a resume point (it would keep the small page size).
  if (!ps.param.empty() && query.limit && plan.local.empty() && !query.keeps_continuation)
    plan.page_size = std::min(plan.page_size, std::max<std::size_t>(*query.limit, 1));

  std::vector<std::pair<std::string, std::string>> params;
  add_params(params, list.params, context.vars);
  params.insert(params.end(), native_params.begin(), native_params.end());
  if (!ps.param.empty())
    params.emplace_back(ps.param, std::to_string(plan.page_size));
  params.insert(params.end(), query.params.begin(), query.params.end());
  // --order, asked of the API where the definition says how; else the order the paging relies
  // on, asked for where the API does not document its default.
  plan.order = list.order.order;
  const auto asked = query.order ? std::optional<Order>(order_of(*query.order)) : std::nullopt;
  const bool ask = asked && !query.order_here && list.order.values.count(*asked);
  if (ask)
    plan.order = *asked;
  if (ask || list.order.ask) {
    params.emplace_back(list.order.param, list.order.values.at(plan.order));
    plan.order_asked = fmt::format("{}={}", list.order.param, list.order.values.at(plan.order));
  }
  const auto url = context.base_url + choose_path(list.paths, context.vars);
  plan.first.method = list.method;
  if (list.json_body) {
    // Parameters in a JSON object instead of the query (1Password): the page size as a number.
    boost::json::object body;
    // One member per name: a --param given twice cannot both arrive (later ones override the
    // definition's own parameters, as the user meant).
    for (std::size_t i = 0; i < query.params.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (query.params[i].first == query.params[j].first)
          throw Error(ErrorKind::usage,
                      fmt::format("{}: --param {} is given twice, and a JSON body holds one value a name",
                                  spec.name, sanitize_for_terminal(query.params[i].first)),
                      "pass it once");
    // The page size is a number in the body; a --param of its name was dropped for it.
    for (const auto& [name, value] : query.params)
      if (!ps.param.empty() && name == ps.param)
        throw Error(ErrorKind::usage,
                    fmt::format("{}: --param {} would replace the page size, which the JSON body holds as a number",
                                spec.name, sanitize_for_terminal(name)),
                    "use --page-size N");
    for (const auto& [name, value] : params)
      if (!utf8::valid(name) || !utf8::valid(value))
        throw Error(ErrorKind::usage,
                    fmt::format("{}: a parameter is not valid UTF-8, which a JSON body cannot carry", spec.name),
                    "check the --param and setting values");
      else if (name == ps.param)
        body[name] = plan.page_size;
      else
        body[name] = value;
    plan.first.url = url;
    plan.first.body = boost::json::serialize(body);
    plan.first.set_header("Content-Type", "application/json");
  } else {
    plan.first.url = append_query(url, params);
  }
  set_headers(plan.first, context);
  plan.fingerprint = fingerprint_of(context, query);
  return plan;
}

Order order_of(PrintOrder order) {
  return order == PrintOrder::newest_first ? Order::newest_first : Order::oldest_first;
}

bool reverses_order(const ProviderSpec& spec, const Query& query) {
  if (!query.order)
    return false;
  const auto wanted = order_of(*query.order);
  const auto& order = spec.list.order;
  if ((order.values.count(wanted) && !query.order_here) || order.order == wanted)
    return false;
  if (order.order == Order::unspecified)
    throw Error(ErrorKind::usage,
                fmt::format("--order: {} serves its activities in no documented order, so it cannot "
                            "be kept without reading and sorting everything",
                            spec.name),
                "leave out --order, or sort the output (e.g. jq -s 'sort_by(.created_at)')");
  return true;
}

HttpRequest plan_get(const ProviderContext& context, const std::string& id) {
  const auto& spec = *context.spec;
  if (spec.get.paths.empty())
    throw Error(ErrorKind::usage, fmt::format("{} cannot fetch one activity by id", spec.name),
                spec.get.unsupported_reason);
  if (id.empty())
    throw Error(ErrorKind::usage, "get: the activity id is empty");
  auto vars = context.vars;
  vars["id"] = id;
  std::vector<std::pair<std::string, std::string>> params;
  add_params(params, spec.get.params, context.vars);
  HttpRequest request;
  request.url = append_query(context.base_url + choose_path(spec.get.paths, vars), params);
  set_headers(request, context);
  return request;
}

} // namespace auditfetch
