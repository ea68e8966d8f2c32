#include "auditfetch/commands/commands.hpp"

#include "auditfetch/auth/auth.hpp"
#include "auditfetch/error.hpp"
#include "auditfetch/output/writer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace auditfetch {
namespace {

const char* order_text(Order order) {
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

std::string pagination_text(const ListSpec& list) {
  const auto size = list.page_size.param.empty()
                        ? std::string("the API chooses the page size")
                        : fmt::format("page size: {}={}, at most {}", list.page_size.param,
                                      list.page_size.default_size, list.page_size.max);
  const auto& pg = list.pagination;
  switch (pg.style) {
  case PaginationStyle::hal_next:
    return fmt::format("follows the next link at {} ({})", pg.next_pointer, size);
  case PaginationStyle::cursor:
    return fmt::format("sends the cursor at {} back as {} ({})", pg.cursor_pointer,
                       pg.cursor_param, size);
  case PaginationStyle::offset:
    return fmt::format("{} grows by the page size until a short page ({}){}", pg.offset_param,
                       size,
                       pg.max_offset ? fmt::format("; past offset {} it continues by keyset on "
                                                   "the time, skipping ids already printed",
                                                   pg.max_offset)
                                     : "");
  }
  return "";
}

const char* dialect_text(FilterDialect dialect) {
  switch (dialect) {
  case FilterDialect::scim:
    return "a SCIM expression";
  case FilterDialect::sailpoint:
    return "a SailPoint filters expression";
  case FilterDialect::query_params:
    return "query parameters";
  case FilterDialect::none:
    break;
  }
  return "nothing";
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
  out += fmt::format("\ncredentials: {}\n", credential_help(spec));
  if (const auto& cc = spec.auth.client_credentials)
    out += fmt::format("  OAuth2 token endpoint: {} (replace with --token-url)\n", cc->token_url);

  const auto& f = spec.list.filter;
  std::vector<std::string> pushed, local;
  const bool by_time_field = !f.time_field.empty();
  const std::pair<std::string, bool> filters[] = {
      {"--since", by_time_field || f.fields.count("since") > 0},
      {"--until", by_time_field || f.fields.count("until") > 0},
      {"--action", f.fields.count("action") > 0},
      {"--actor-id", f.fields.count("actor_id") > 0},
      {"--entity", f.fields.count("entity") > 0},
      {"--entity-type", f.fields.count("entity_type") > 0},
  };
  for (const auto& [flag, server] : filters)
    (server && f.dialect != FilterDialect::none ? pushed : local).push_back(flag);
  out += "\nfilters:\n";
  out += fmt::format("  pushed down:     {}{}\n", pushed.empty() ? "none" : fmt::format("{}", fmt::join(pushed, ", ")),
                     pushed.empty() ? ""
                     : f.param.empty()
                         ? fmt::format(" (as {})", dialect_text(f.dialect))
                         : fmt::format(" (as {} in the {} parameter)", dialect_text(f.dialect), f.param));
  out += fmt::format("  applied locally: {}\n", local.empty() ? "none" : fmt::format("{}", fmt::join(local, ", ")));
  out += "  every filter is also checked locally, so results mean the same on every provider;\n"
         "  --action values the API cannot express exactly are only applied locally\n";
  if (f.param.empty())
    out += fmt::format("  --filter is not available: {} has no native filter language\n", spec.name);
  if (f.time_range_required)
    out += fmt::format("  a time range is required: without --since, the last {} are read\n",
                       f.default_since.value_or("7d"));
  out += fmt::format("\npagination: {}\n", pagination_text(spec.list));
  out += fmt::format("order:      {}\n", order_text(spec.list.order));
  out += fmt::format("get:        {}\n", spec.get.path ? *spec.get.path : "not supported: " + spec.get.unsupported_reason);
  out += "\nactions (native -> unified; unlisted values are kept raw):\n";
  for (const auto& rule : spec.actions)
    out += fmt::format("  {:<28} {}\n", rule.pattern, rule.unified.value_or("(raw)"));
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
