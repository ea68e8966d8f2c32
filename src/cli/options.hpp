#pragma once
// The flags several subcommands share, and each subcommand's setup (one file each).

#include "auditfetch/cli/cli.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace auditfetch::cli {

template <class T>
CLI::Option* add_optional(CLI::App& app, const std::string& name, std::optional<T>& target,
                          const std::string& help) {
  // A repeated single-value flag takes the last value, so a script can override a default.
  return app.add_option_function<T>(name, [&target](const T& value) { target = value; }, help)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

// "\nExit status:\n  0 ..." for a command's footer.
std::string exit_status_footer();

// --config FILE / --profile NAME.
void add_config_file_option(CLI::App& sub, CommonOptions& o);
void add_config_options(CLI::App& sub, CommonOptions& o);

// Provider, settings (of every provider), credentials, HTTP and output flags.
void add_common(CLI::App& sub, CommonOptions& o, const Registry& registry);

// The filter, limit and checkpoint flags of list, tail and config show/check.
void add_filters(CLI::App& sub, ListOptions& o);
// The filters alone (--since ... --page-size), with --limit or without (verify).
void add_selection(CLI::App& sub, QueryOptions& q, bool limit);
// --explain (list, tail, get, verify).
void add_explain(CLI::App& sub, CommonOptions& o);

// --exec, --batch, --exec-retries and --wait-lock of list and tail.
void add_delivery(CLI::App& sub, ListOptions& o);

// Remember the long names the command line gave, so that a profile fills only the others.
void record_given(const CLI::App& sub, CommonOptions& o);

// -v and -q into the diagnostics, before anything runs.
void configure(StderrDiagnostics& diagnostics, const CommonOptions& o);

// Each subcommand: its flags, and `parsed.run` set once it is chosen.
void setup_list(CLI::App& app, ParsedCommandLine& parsed, const Registry& registry);
void setup_get(CLI::App& app, ParsedCommandLine& parsed, const Registry& registry);
void setup_tail(CLI::App& app, ParsedCommandLine& parsed, const Registry& registry);
void setup_verify(CLI::App& app, ParsedCommandLine& parsed, const Registry& registry);
void setup_providers(CLI::App& app, ParsedCommandLine& parsed, const Registry& registry);
void setup_config(CLI::App& app, ParsedCommandLine& parsed, const Registry& registry);

} // namespace auditfetch::cli
