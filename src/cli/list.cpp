// auditfetch list
#include "auditfetch/commands/profile.hpp"
#include "options.hpp"

namespace auditfetch::cli {

void setup_list(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry) {
  auto* sub = &command;
  auto& o = parsed.list;
  add_common(*sub, o.common, registry);
  add_explain(*sub, o.common);
  add_filters(*sub, o);
  add_optional(*sub, "--order", o.query.order,
               "Print newest or oldest first, the same on every provider: asked of the API where it can "
               "sort, else reversed here (the whole listing is read first); default: as the API serves")
      ->option_text("newest|oldest")
      ->group("Output");
  add_delivery(*sub, o);
  add_count(*sub, "--parallel", [&o](long long n) { o.parallel = static_cast<std::size_t>(n); }, 1, 64,
            "Fetch N time slices of [--since, --until) at once, over N connections under one rate "
            "budget; prints exactly what one connection would, in the same order (default 1)")
      ->option_text("N")
      ->group("HTTP");
  add_sources(*sub, parsed.source_texts, o);
  sub->add_flag("--count", o.count,
                "Print only the number of matching activities (local filters and --limit apply)")
      ->group("Output");
  sub->footer("Examples:\n"
              "  auditfetch list -p sailpoint --tenant acme --state ~/.local/state/sp.json >> sp.ndjson  # cron\n"
              "  auditfetch list -p pingone --environment-id ENV --since 24h --action login -o ndjson | jq .actor.user.id\n"
              "  auditfetch list -p pingone --since 2024-05-01T00:00:00Z --until 2024-05-02T00:00:00Z -o csv > may1.csv\n"
              "  auditfetch list -p pingone --action USER.CREATED --limit 10 -o table\n"
              "  auditfetch list -p okta --domain acme.okta.com --since 1h --action login --explain  # sends nothing\n"
              "  auditfetch list -p okta --domain acme.okta.com --state ~/.local/state/okta.json --exec 'curl -fsS --data-binary @- https://collector.example.com/ingest'\n");
  sub->callback([sub, &parsed, &registry] {
    record_given(*sub, parsed.list.common);
    parsed.command = "list";
    parsed.run = [&parsed, &registry](Environment& environment, StderrDiagnostics& diagnostics) {
      configure(diagnostics, parsed.list.common);
      auto& list = parsed.list;
      // Several --profile, or any --source: one source each, merged into one stream.
      if (gather_sources(parsed.source_texts, list))
        return run_list(list, registry, environment);
      use_config(list.common, &list, nullptr, registry, environment);
      return run_list(list, registry, environment);
    };
  });
}

} // namespace auditfetch::cli
