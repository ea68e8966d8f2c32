// auditfetch get
#include "auditfetch/commands/profile.hpp"
#include "options.hpp"

namespace auditfetch::cli {

void setup_get(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry) {
  auto* sub = &command;
  auto& o = parsed.get;
  add_common(*sub, o.common, registry);
  add_explain(*sub, o.common);
  sub->add_option("id", o.ids, "Activity ids")->required();
  sub->footer("Each id is fetched in turn; an unknown one is reported on stderr, the others are still\n"
              "printed, and the exit status is then 4.\n\n"
              "Examples:\n"
              "  auditfetch get -p pingone --environment-id ENV a4a0a8c0-2d47-4efe-a8a5-463684f79f1c -o json\n"
              "  auditfetch get -p okta --domain acme.okta.com ID1 ID2 ID3 -o ndjson  # exit 4 if one is unknown\n");
  sub->callback([sub, &parsed, &registry] {
    record_given(*sub, parsed.get.common);
    parsed.command = "get";
    parsed.run = [&parsed, &registry](Environment& environment, StderrDiagnostics& diagnostics) {
      configure(diagnostics, parsed.get.common);
      use_config(parsed.get.common, nullptr, nullptr, registry, environment);
      return run_get(parsed.get, registry, environment);
    };
  });
}

} // namespace auditfetch::cli
