// auditfetch providers
#include "options.hpp"

namespace auditfetch::cli {

void setup_providers(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry) {
  auto* sub = &command;
  auto& o = parsed.providers;
  add_optional(*sub, "name", o.name, "Provider to describe");
  sub->add_flag("--names", o.names_only, "Print only the names (for completion)");
  sub->add_option("--providers-dir", o.providers_dirs,
                  "Also load provider definitions (*.json) from DIR; env AUDITFETCH_PROVIDERS_DIR")
      ->option_text("DIR")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->footer("Examples:\n  auditfetch providers\n  auditfetch providers okta\n");
  sub->callback([&parsed, &registry] {
    parsed.command = "providers";
    parsed.run = [&parsed, &registry](Environment& environment, StderrDiagnostics&) {
      return run_providers(parsed.providers, registry, environment);
    };
  });
}

} // namespace auditfetch::cli
