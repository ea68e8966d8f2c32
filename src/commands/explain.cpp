#include "explain.hpp"
#include "reverse.hpp"

#include "auditfetch/auth/signing.hpp"
#include "auditfetch/commands/providers.hpp"
#include "auditfetch/http/url.hpp"
#include "auditfetch/output/writer.hpp"
#include "auditfetch/util/error.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>

namespace auditfetch {
namespace {

namespace json = boost::json;

// The URL without its query: the endpoint.
std::string endpoint_of(const std::string& url) {
  return url.substr(0, url.find('?'));
}

// The request as it would go out: the transport's headers, the request's own, the
// credentials (masked), and Content-Length where Beast's prepare_payload sets it (a body, or
// a method that takes one), in that order.
std::vector<Header> wire_headers(const Explanation& e, Timestamp now) {
  const auto& basis = *e.basis;
  HttpRequest request = e.first;
  const auto& scheme = *basis.context.spec->auth[basis.credentials.scheme];
  for (auto& header : scheme.masked_headers(rfc2822_date(std::chrono::floor<std::chrono::seconds>(now))))
    request.set_header(header.name, std::move(header.value));
  auto headers = transport_headers(request, basis.transport);
  headers.insert(headers.end(), request.headers.begin(), request.headers.end());
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "OPTIONS")
    headers.push_back({"Content-Length", std::to_string(request.body.size())});
  return headers;
}

// The proxy a request to `url` would go through, credentials removed; empty for none.
std::string proxy_for(const std::string& url, const TransportOptions& transport) {
  const auto origin = origin_of(url, "request");
  const bool https = origin.scheme == "https";
  const auto& proxy = https ? transport.https_proxy : transport.http_proxy;
  if (proxy.empty() || host_in_no_proxy(origin.host, transport.no_proxy))
    return {};
  return fmt::format("{} ({})", redact_url(proxy), https ? "HTTPS_PROXY" : "HTTP_PROXY");
}

std::string time_text(const std::optional<Timestamp>& t) {
  return t ? format_rfc3339_ms(*t) : std::string();
}

json::value time_json(const std::optional<Timestamp>& t) {
  return t ? json::value(format_rfc3339_ms(*t)) : json::value(nullptr);
}

json::array strings_json(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& item : items)
    out.emplace_back(item);
  return out;
}

std::string paging_text(const ListSpec& list, const ListPlan& plan) {
  const auto size = list.page_size.param.empty()
                        ? std::string("the API chooses the page size")
                        : fmt::format("page size {}={} (at most {})", list.page_size.param, plan.page_size,
                                      list.page_size.max);
  std::vector<std::string> stops;
  if (list.stop.empty_page)
    stops.push_back("an empty page");
  if (list.stop.next_is_current)
    stops.push_back("a next request equal to the one sent");
  if (!list.stop.more_pointer.empty())
    stops.push_back(fmt::format("false at {}", list.stop.more_pointer));
  return fmt::format("{}; {}{}", list.paging->describe(), size,
                     stops.empty() ? "" : fmt::format("; ends at {}", fmt::join(stops, " or ")));
}

// The order the pages come in: the definition's, or the one asked for.
std::string order_text(const ListPlan& plan) {
  return fmt::format("{}{}", order_name(plan.order),
                     plan.order_asked.empty() ? "" : fmt::format(" (asked with {})", plan.order_asked));
}

std::string window_text(const Explanation& e) {
  const auto& plan = *e.plan;
  const auto since = plan.effective_since ? fmt::format("from {} ({})", time_text(plan.effective_since), e.since_source)
                                          : std::string("from the oldest the API keeps");
  std::string until = "to now (no --until)";
  if (plan.effective_until)
    until = fmt::format("to {} exclusive ({})", time_text(plan.effective_until),
                        e.query && e.query->until ? "--until" : "now: the API needs an end");
  if (e.command == "tail")
    until = "to now (the first poll)";
  return since + ", " + until;
}

std::string credentials_text(const RunBasis& basis, std::string_view exchange) {
  const auto& c = basis.credentials.credentials;
  const auto& scheme = *basis.context.spec->auth[basis.credentials.scheme];
  return fmt::format("{} (named, not read); sent as {}{}", c.source, scheme.describe(),
                     exchange.empty() ? "" : fmt::format("; the token is requested with {}", exchange));
}

std::string human(const Explanation& e, const std::vector<Header>& headers, const std::string& exchange) {
  const auto& basis = *e.basis;
  const auto& spec = *basis.context.spec;
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("command", e.command);
  rows.emplace_back("provider", fmt::format("{}: {} ({})", spec.name, spec.description, spec.origin));
  rows.emplace_back("endpoint", fmt::format("{} {}", e.first.method, redact_url(endpoint_of(e.first.url))));
  std::string request = fmt::format("{} {}", e.first.method, redact_url(e.first.url));
  for (const auto& header : headers)
    request += fmt::format("\n{}: {}", header.name, header.value);
  if (!e.first.body.empty())
    request += "\n\n" + e.first.body;
  rows.emplace_back("request", request);
  if (const auto proxy = proxy_for(e.first.url, basis.transport); !proxy.empty())
    rows.emplace_back("proxy", proxy);
  if (e.plan) {
    const auto& plan = *e.plan;
    // The unified names, then the native parameters they became, one a line.
    std::string pushed = joined(plan.pushed);
    for (const auto& [name, value] : plan.native)
      pushed += fmt::format("\n{}={}", name, value);
    rows.emplace_back("pushed down", pushed);
    rows.emplace_back("applied here", fmt::format("{} (every filter is also checked here)", joined(plan.local)));
    if (e.query && !e.query->params.empty()) {
      std::vector<std::string> params;
      for (const auto& [name, value] : e.query->params)
        params.push_back(fmt::format("{}={}", name, value));
      rows.emplace_back("passed on", fmt::format("{} (--param)", fmt::join(params, ", ")));
    }
    rows.emplace_back("paging", paging_text(spec.list, plan));
    rows.emplace_back("order", order_text(plan));
    rows.emplace_back("window", window_text(e));
  }
  for (const auto& fact : e.facts)
    rows.emplace_back(fact.key, fact.text);
  rows.emplace_back("credentials", credentials_text(basis, exchange));
  std::string out;
  for (const auto& [key, value] : rows) {
    std::string indented;
    for (std::size_t start = 0; start <= value.size();) {
      const auto end = std::min(value.find('\n', start), value.size());
      const auto part = value.substr(start, end - start);
      indented += (start == 0 ? "" : part.empty() ? "\n" : fmt::format("\n{:13}", "")) + part;
      start = end + 1;
    }
    out += fmt::format("{:<12} {}\n", key, indented);
  }
  out += "nothing was sent (--explain)\n";
  return out;
}

json::object as_json(const Explanation& e, const std::vector<Header>& headers, const std::string& exchange) {
  const auto& basis = *e.basis;
  const auto& spec = *basis.context.spec;
  json::object out;
  out["command"] = e.command;
  out["provider"] = spec.name;
  out["definition"] = spec.origin;
  out["endpoint"] = json::object{{"method", e.first.method}, {"url", redact_url(endpoint_of(e.first.url))}};
  json::array header_list;
  for (const auto& header : headers)
    header_list.push_back(json::object{{"name", header.name}, {"value", header.value}});
  json::object request{{"method", e.first.method}, {"url", redact_url(e.first.url)}, {"headers", header_list}};
  request["body"] = e.first.body.empty() ? json::value(nullptr) : json::value(e.first.body);
  out["request"] = request;
  const auto proxy = proxy_for(e.first.url, basis.transport);
  out["proxy"] = proxy.empty() ? json::value(nullptr) : json::value(proxy);
  if (e.plan) {
    const auto& plan = *e.plan;
    json::array native;
    for (const auto& [name, value] : plan.native)
      native.push_back(json::object{{"name", name}, {"value", value}});
    json::array params;
    if (e.query)
      for (const auto& [name, value] : e.query->params)
        params.push_back(json::object{{"name", name}, {"value", value}});
    out["filters"] = json::object{{"pushed_down", strings_json(plan.pushed)},
                                  {"native", native},
                                  {"local", strings_json(plan.local)},
                                  {"params", params}};
    const auto& list = spec.list;
    json::object paging{{"style", list.paging->describe()}, {"text", paging_text(list, plan)}};
    paging["page_size"] = list.page_size.param.empty() ? json::value(nullptr) : json::value(plan.page_size);
    paging["page_size_param"] = list.page_size.param.empty() ? json::value(nullptr) : json::value(list.page_size.param);
    out["paging"] = paging;
    out["order"] = order_name(plan.order);
    out["window"] = json::object{{"since", time_json(plan.effective_since)},
                                 {"until", time_json(plan.effective_until)},
                                 {"since_from", e.since_source},
                                 {"text", window_text(e)}};
  }
  for (const auto& fact : e.facts)
    out[fact.key] = fact.json;
  const auto& c = basis.credentials.credentials;
  out["credentials"] = json::object{{"source", c.source},
                                    {"read", false},
                                    {"sent_as", spec.auth[basis.credentials.scheme]->describe()},
                                    {"token_request", exchange.empty() ? json::value(nullptr) : json::value(exchange)}};
  out["sent"] = false;
  return out;
}

} // namespace

std::string since_source(const Query& asked, const std::optional<Checkpoint>& checkpoint, bool resumed,
                         const ListPlan& plan) {
  if (resumed)
    return "the state file's resume point";
  if (checkpoint && checkpoint->high_water)
    return "the state file: its newest time minus --overlap";
  if (asked.since)
    return "--since";
  if (plan.effective_since && *plan.effective_since == Timestamp{})
    return "the Unix epoch: the API needs both bounds";
  return "the provider's default";
}

std::optional<ExplainFact> explain_state(const ListOptions& options,
                                         const std::optional<Checkpoint>& checkpoint,
                                         const ListPlan& plan, bool resumed, const HttpRequest& first) {
  if (!options.state || !checkpoint)
    return std::nullopt;
  const auto& path = *options.state;
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  ExplainFact fact{"state", {}, {}};
  json::object j{{"file", path}, {"exists", exists}};
  j["high_water"] = time_json(checkpoint->high_water);
  j["remembered_ids"] = checkpoint->seen.size();
  j["resume_point"] = resumed ? json::value(redact_url(first.url)) : json::value(nullptr);
  if (!exists) {
    fact.text = fmt::format("{} does not exist: the run starts at {} and creates it", path,
                            plan.effective_since ? time_text(plan.effective_since) : "the oldest activity");
    j["starts"] = time_json(plan.effective_since);
  } else if (resumed) {
    fact.text = fmt::format("{}: resumes from the API's next request saved there, {}; {} ids are left out", path,
                            redact_url(first.url), checkpoint->seen.size());
    j["starts"] = nullptr;
  } else if (checkpoint->high_water) {
    fact.text = fmt::format("{}: newest time {}; resumes at {} (minus --overlap {}), leaving out {} ids already printed",
                            path, time_text(checkpoint->high_water), time_text(plan.effective_since),
                            options.overlap, checkpoint->seen.size());
    j["starts"] = time_json(plan.effective_since);
  } else {
    fact.text = fmt::format("{}: no activity time yet; starts at {}", path,
                            plan.effective_since ? time_text(plan.effective_since) : "the oldest activity");
    j["starts"] = time_json(plan.effective_since);
  }
  fact.json = std::move(j);
  return fact;
}

int print_explanation(const Explanation& explained, const CommonOptions& options, Environment& environment) {
  const auto& basis = *explained.basis;
  // Every command that sends draws on the account's budget: its line, where it has one.
  auto explanation = explained;
  if (basis.rate.requests)
    explanation.facts.push_back(
        {"rate",
         fmt::format("at most {} to the account, every connection together ({})", rate_text(basis.rate),
                     !options.rate                 ? std::string("the provider's documented limit")
                     : options.given.count("rate") ? std::string("--rate")
                                                   : fmt::format("rate in profile {}", options.profile.name)),
         json::value(rate_text(basis.rate))});
  const auto& scheme = *basis.context.spec->auth[basis.credentials.scheme];
  const auto headers = wire_headers(explanation, environment.now());
  const auto exchange = scheme.token_exchange(basis.credentials.credentials, basis.context.vars);
  const auto text = options.output && *options.output == "json"
                        ? json::serialize(as_json(explanation, headers, exchange)) + "\n"
                        : human(explanation, headers, exchange);
  FdSink sink(environment.stdout_fd);
  sink.write(text);
  sink.flush();
  return k_exit_ok;
}

int explain_list(const ListOptions& options, const Registry& registry, Environment& environment) {
  const auto basis = resolve_run(options.common, registry, environment, Shape::stream, false);
  const auto now = environment.now();
  const auto start = start_list(basis.context, options, now, *environment.diagnostics);
  Explanation e;
  e.command = "list";
  e.basis = &basis;
  e.first = start.first;
  e.plan = &start.plan;
  e.query = &start.query;
  const auto asked = list_query(options, now);
  e.since_source = since_source(asked, start.checkpoint, start.resumed, start.plan);
  if (!options.merged_source.empty())
    e.facts.push_back({"source", fmt::format("{} (profile {})", options.merged_source, options.common.profile.name),
                       json::value(options.merged_source)});
  if (asked.order)
    e.facts.push_back(
        {"printed", order_keeping_text(*basis.context.spec, asked, start.plan, order_memory_items(environment.env)),
         json::object{{"order", *asked.order == PrintOrder::newest_first ? "newest_first" : "oldest_first"},
                      {"by", start.reverse ? "reversed here"
                             : start.plan.order_asked.empty() ? "as served"
                                                              : "asked of the API"}}});
  if (asked.limit)
    e.facts.push_back({"limit", fmt::format("stops after {} activities", *asked.limit), json::value(*asked.limit)});
  if (options.parallel > 1) {
    const auto sliced = parallel_plan(basis.context, options, start.query, start.plan, start.resumed,
                                      start.checkpoint.has_value(), now);
    json::object j{{"connections", options.parallel}, {"slices", sliced.slices.size()},
                   {"sequential_because", sliced.refusal ? json::value(*sliced.refusal) : json::value(nullptr)}};
    e.facts.push_back({"parallel", parallel_text(sliced, options.parallel), std::move(j)});
  }
  if (auto state = explain_state(options, start.checkpoint, start.plan, start.resumed, start.first))
    e.facts.push_back(std::move(*state));
  return print_explanation(e, options.common, environment);
}

int explain_get(const GetOptions& options, const Registry& registry, Environment& environment) {
  const auto basis = resolve_run(options.common, registry, environment, Shape::single_object, false);
  Explanation e;
  e.command = "get";
  e.basis = &basis;
  e.first = plan_get(basis.context, options.ids.front());
  if (options.ids.size() == 1) {
    e.facts.push_back({"id", options.ids.front(), json::value(options.ids.front())});
  } else {
    json::array ids;
    for (const auto& id : options.ids)
      ids.emplace_back(id);
    e.facts.push_back({"id", fmt::format("{} (the first request shown; one request each)",
                                         fmt::join(options.ids, ", ")),
                       std::move(ids)});
  }
  return print_explanation(e, options.common, environment);
}

} // namespace auditfetch
