#include "auditfetch/commands/providers.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/output/writer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace auditfetch {

const char* order_name(Order order) {
  switch (order) {
  case Order::newest_first:
    return "newest first";
  case Order::oldest_first:
    return "oldest first";
  case Order::unspecified:
    break;
  }
  return "unspecified";
}

namespace {

std::string pagination_text(const ListSpec& list) {
  const auto size = list.page_size.param.empty()
                        ? std::string("the API chooses the page size")
                        : fmt::format("page size: {}={}, at most {}", list.page_size.param,
                                      list.page_size.default_size, list.page_size.max);
  std::vector<std::string> stops;
  if (list.stop.empty_page)
    stops.push_back("an empty page");
  if (list.stop.next_is_current)
    stops.push_back("a next link equal to the page's own");
  if (!list.stop.more_pointer.empty())
    stops.push_back(fmt::format("false at {}", list.stop.more_pointer));
  return fmt::format("{} ({}){}{}", list.paging->describe(), size,
                     stops.empty() ? "" : fmt::format("; ends at {}", fmt::join(stops, " or ")),
                     list.resume ? "; --state keeps the API's next request and resumes from it" : "");
}

std::string describe(const ProviderSpec& spec) {
  std::string out = fmt::format("{}: {}\n", spec.name, spec.description);
  if (!spec.documentation.empty())
    out += fmt::format("  documentation: {}\n", spec.documentation);
  out += fmt::format("  definition:    {}\n", spec.origin);
  out += fmt::format("  API base:      {} (replace with --base-url)\n", spec.base_url);
  out += "\nsettings:\n";
  for (const auto& s : spec.settings) {
    std::vector<std::string> facts;
    if (s.required)
      facts.push_back("required");
    if (s.default_value)
      facts.push_back("default " + *s.default_value);
    if (!s.env.empty())
      facts.push_back(fmt::format("env {}", fmt::join(s.env, ", ")));
    std::vector<std::string> choices;
    for (const auto& [name, vars] : s.choices)
      choices.push_back(name);
    if (!choices.empty())
      facts.push_back(fmt::format("one of {}", fmt::join(choices, "|")));
    out += fmt::format("  --{:<22} {}{}\n", s.name, s.help,
                       facts.empty() ? "" : fmt::format(" ({})", fmt::join(facts, "; ")));
  }
  out += fmt::format("\ncredentials: {}\n", credential_help(spec.auth));
  for (const auto& scheme : spec.auth)
    out += fmt::format("  sent as {}\n", scheme->describe());

  const auto& list = spec.list;
  std::vector<std::string> server;
  if (!list.window.since_param.empty())
    server.emplace_back("since");
  if (!list.window.until_param.empty())
    server.emplace_back("until");
  if (list.filter)
    for (const auto& name : list.filter->pushable())
      server.push_back(name);
  std::vector<std::string> pushed, local;
  for (const auto& [name, flag] : {std::pair{"since", "--since"}, std::pair{"until", "--until"},
                                   std::pair{"action", "--action"}, std::pair{"actor_id", "--actor-id"},
                                   std::pair{"entity", "--entity"}, std::pair{"entity_type", "--entity-type"}})
    (std::find(server.begin(), server.end(), name) != server.end() ? pushed : local).push_back(flag);
  out += "\nfilters:\n";
  std::vector<std::string> how;
  if (!list.window.since_param.empty() || !list.window.until_param.empty())
    how.push_back("time parameters");
  if (list.filter)
    how.push_back(list.filter->describe());
  out += fmt::format("  pushed down:     {}{}\n", pushed.empty() ? "none" : fmt::format("{}", fmt::join(pushed, ", ")),
                     how.empty() ? "" : fmt::format(" (as {})", fmt::join(how, "; ")));
  out += fmt::format("  applied locally: {}\n", local.empty() ? "none" : fmt::format("{}", fmt::join(local, ", ")));
  out += "  every filter is also checked locally, so results mean the same on every provider;\n"
         "  --action values the API cannot express exactly are only applied locally\n";
  if (!list.filter || !list.filter->takes_native())
    out += fmt::format("  --filter is not available: {} has no native filter language\n", spec.name);
  if (list.window.required)
    out += fmt::format("  a time range is required: without --since, the last {} are read\n",
                       list.window.default_since);
  out += fmt::format("\npagination: {}\n", pagination_text(spec.list));
  out += fmt::format("order:      {}{}\n", order_name(list.order.order),
                     list.order.param.empty() ? "" : fmt::format(" (chosen with {})", list.order.param));
  out += fmt::format("get:        {}\n", !spec.get.paths.empty() ? fmt::format("{}", fmt::join(spec.get.paths, " or "))
                                                                  : "not supported: " + spec.get.unsupported_reason);
  out += fmt::format("rate limit: {}\n",
                     spec.rate_limit.budget.requests
                         ? fmt::format("{} for the account, every connection together (documented; --rate "
                                       "replaces it)",
                                       rate_text(spec.rate_limit.budget))
                         : std::string("none documented (--rate sets one); a 429 slows every connection"));
  out += "\nactions (native -> unified; unlisted values are kept raw):\n";
  for (const auto& rule : spec.actions) {
    std::vector<std::string> where;
    for (const auto& [pointer, value] : rule.where)
      where.push_back(fmt::format("{}={}", pointer, value));
    out += fmt::format("  {:<28} {}{}\n", rule.pattern, rule.unified.value_or("(raw)"),
                       where.empty() ? "" : fmt::format("  when {}", fmt::join(where, " and ")));
  }
  out += "  an activity without any native action: unknown\n";
  return out;
}

} // namespace

int run_providers(const ProvidersOptions& options, const Registry& registry,
                  Environment& environment) {
  std::string out;
  if (options.name) {
    out = describe(registry.find(*options.name));
  } else {
    for (const auto& spec : registry.all())
      out += options.names_only ? spec.name + "\n"
                                : fmt::format("{:<14} {}\n", spec.name, spec.description);
  }
  FdSink sink(environment.stdout_fd);
  sink.write(out);
  sink.flush();
  return k_exit_ok;
}

} // namespace auditfetch
