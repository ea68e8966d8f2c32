// auditfetch verify
#include "auditfetch/commands/profile.hpp"
#include "options.hpp"

namespace auditfetch::cli {

void setup_verify(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry) {
  auto* sub = &command;
  auto& o = parsed.verify;
  add_common(*sub, o.list.common, registry);
  add_explain(*sub, o.list.common);
  add_selection(*sub, o.list.query, false);
  sub->add_flag("--print-missing", o.print_missing,
                "Print the activities missing from the files on stdout, as NDJSON (append them to repair the file)")
      ->group("Output");
  add_sources(*sub, parsed.source_texts, o.list, false);
  sub->add_option("files", o.files,
                  "NDJSON files auditfetch printed (default, or -: standard input)")
      ->option_text("FILE...");
  sub->footer("Lists [--since, --until) again with the same filters and compares by id; the summary goes to\n"
              "stderr. Exit status 0: every activity the API serves is in the files exactly once; 5: one is\n"
              "missing or duplicated.\n"
              "Examples:\n"
              "  auditfetch verify -p okta --domain acme.okta.com --since 2024-05-01T00:00:00Z --until 2024-05-02T00:00:00Z okta.ndjson\n"
              "  auditfetch verify -p okta --domain acme.okta.com --since 2024-05-01T00:00:00Z --until 2024-05-02T00:00:00Z --print-missing okta.ndjson >> okta.ndjson\n"
              "  zcat may.ndjson.gz | auditfetch verify -p github --org acme --since 2024-05-01T00:00:00Z --until 2024-06-01T00:00:00Z\n");
  sub->callback([sub, &parsed, &registry] {
    record_given(*sub, parsed.verify.list.common);
    parsed.command = "verify";
    parsed.run = [&parsed, &registry](Environment& environment, StderrDiagnostics& diagnostics) {
      auto& verify = parsed.verify;
      configure(diagnostics, verify.list.common);
      if (gather_sources(parsed.source_texts, verify.list))
        return run_verify(verify, registry, environment);
      use_config(verify.list.common, &verify.list, nullptr, registry, environment);
      return run_verify(verify, registry, environment);
    };
  });
}

} // namespace auditfetch::cli
