// auditfetch config show|check|profiles
#include "options.hpp"

namespace auditfetch::cli {

void setup_config(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry) {
  auto* config = &command;
  auto& o = parsed.config;
  config->require_subcommand(1);
  config->footer("Examples:\n"
                 "  auditfetch config profiles\n"
                 "  auditfetch config show --profile prod-ping\n"
                 "  auditfetch config check --profile prod-ping\n");

  auto* show = config->add_subcommand(
      "show", "Print the settings a list would use, each with its source; secrets masked");
  add_common(*show, o.common, registry);
  add_filters(*show, o);
  show->footer("Examples:\n"
               "  auditfetch config show --profile prod-ping\n"
               "  auditfetch config show -p pingone --environment-id ENV\n");
  show->callback([show, &parsed, &registry] {
    record_given(*show, parsed.config.common);
    parsed.command = "config show";
    parsed.run = [&parsed, &registry](Environment& environment, StderrDiagnostics& diagnostics) {
      configure(diagnostics, parsed.config.common);
      return run_config_show(parsed.config, registry, environment);
    };
  });

  auto* check = config->add_subcommand(
      "check", "Try the credentials: a token request (OAuth2) and a one-activity list");
  add_common(*check, o.common, registry);
  add_filters(*check, o);
  check->footer("Exit status 0 when both work, 2 for configuration, 3 when refused, 1 otherwise.\n"
                "Examples:\n"
                "  auditfetch config check --profile prod-ping\n"
                "  AUDITFETCH_PROFILE=prod-ping auditfetch config check -v\n");
  check->callback([check, &parsed, &registry] {
    record_given(*check, parsed.config.common);
    parsed.command = "config check";
    parsed.run = [&parsed, &registry](Environment& environment, StderrDiagnostics& diagnostics) {
      configure(diagnostics, parsed.config.common);
      return run_config_check(parsed.config, registry, environment);
    };
  });

  auto* profiles = config->add_subcommand(
      "profiles", "Print the profile names, one a line (nothing without a config file)");
  add_config_file_option(*profiles, o.common);
  profiles->footer("Examples:\n  auditfetch config profiles\n");
  profiles->callback([&parsed, &registry] {
    parsed.command = "config profiles";
    parsed.run = [&parsed, &registry](Environment& environment, StderrDiagnostics&) {
      return run_config_profiles(parsed.config.common, registry, environment);
    };
  });
}

} // namespace auditfetch::cli
