#pragma once
// The flags several subcommands share, and each subcommand's setup (one file each).

#include "auditfetch/cli/cli.hpp"

#include "auditfetch/util/error.hpp"

#include <CLI/CLI.hpp>

#include <functional>
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

// "\nExit status:\n  0 ..." for the footer of `auditfetch --help` (only there: the man page
// has it too, and every command shares it).
std::string exit_status_footer();

// A whole-number flag: `set` gets the value once it is within [min, max]; otherwise a usage
// error naming the flag, the value and the range ("use a whole number, 1 or more", or `range`).
CLI::Option* add_count(CLI::App& sub, const std::string& name, std::function<void(long long)> set,
                       long long min, std::optional<long long> max, const std::string& help,
                       const std::string& range = {});

// A boolean setting (its choices are true and false): a bare switch on the command line.
bool is_switch(const SettingSpec& setting);

// The command line as CLI11 gets it, checked first: `help [COMMAND...]` becomes
// `[COMMAND...] --help`; an unknown command or flag, a flag whose value is missing (the next
// word is a flag) and a stray argument throw Error(usage) with a "did you mean"; a bare
// switch becomes --NAME=true and `--NAME false` --NAME=false.
struct PreparedArguments {
  std::vector<std::string> args;
  CLI::App* bare = nullptr;   // a command that needs a command, given none (bare `auditfetch`)
  CLI::App* chosen = nullptr; // the last command named
  std::string path;           // "auditfetch config show"
};
PreparedArguments prepare_arguments(CLI::App& app, std::vector<std::string> args, const Registry& registry);

// What bare `auditfetch` (or `auditfetch config`) prints: the commands, one line each.
std::string short_usage(CLI::App& app, const std::string& path);

// A CLI11 parse error that got past prepare_arguments, as one line of ours.
Error parse_error(const CLI::ParseError& e, const PreparedArguments& prepared);

// --config FILE / --profile NAME.
void add_config_file_option(CLI::App& sub, CommonOptions& o);
void add_config_options(CLI::App& sub, CommonOptions& o);

// Provider, settings (of every provider), credentials, HTTP and output flags.
void add_common(CLI::App& sub, CommonOptions& o, const Registry& registry);

// --source NAME=PROFILE[,SETTING=VALUE...] (repeatable: list, tail, verify), and --state-dir
// DIR (list and tail).
void add_sources(CLI::App& sub, std::vector<std::string>& texts, ListOptions& o, bool with_state_dir = true);
// After parsing: the sources of several --profile and the --source texts into o.sources;
// false for a run of one source (which --state-dir does not fit: a usage error).
bool gather_sources(const std::vector<std::string>& texts, ListOptions& o);

// The filter, limit and checkpoint flags of list, tail and config show/check.
// tail has neither --until nor --limit (it follows from --since on).
void add_filters(CLI::App& sub, ListOptions& o, bool follow = false);
// The filters alone (--since ... --page-size), with --limit or without (verify, tail), with
// --until or without (tail).
void add_selection(CLI::App& sub, QueryOptions& q, bool limit, bool until = true);
// --explain (list, tail, get, verify).
void add_explain(CLI::App& sub, CommonOptions& o);

// --exec, --batch, --exec-retries and --wait-lock of list and tail.
void add_delivery(CLI::App& sub, ListOptions& o);

// Remember the long names the command line gave, so that a profile fills only the others.
void record_given(const CLI::App& sub, CommonOptions& o);

// -v and -q into the diagnostics, before anything runs.
void configure(StderrDiagnostics& diagnostics, const CommonOptions& o);

// Each subcommand's flags, and `parsed.run` set once it is chosen, on the subcommand app.cpp
// created. Only the command a line names is set up (the others are only listed).
void setup_list(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry);
void setup_get(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry);
void setup_tail(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry);
void setup_verify(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry);
void setup_providers(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry);
void setup_config(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry);
void setup_completion(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry);
void setup_help(CLI::App& command);

} // namespace auditfetch::cli
