#pragma once
// Command line → the options of one subcommand, and how to run it. The only place that
// includes CLI11; each subcommand has its file in src/cli/ (setup: its flags; run: the
// command in src/commands/ after the config profile is applied).

#include "auditfetch/commands/completion.hpp"
#include "auditfetch/commands/config.hpp"
#include "auditfetch/commands/diagnostics.hpp"
#include "auditfetch/commands/environment.hpp"
#include "auditfetch/commands/get.hpp"
#include "auditfetch/commands/list.hpp"
#include "auditfetch/commands/providers.hpp"
#include "auditfetch/commands/tail.hpp"
#include "auditfetch/commands/verify.hpp"
#include "auditfetch/provider/registry.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace auditfetch {

struct ParsedCommandLine {
  // Set when the command line was fully handled (--help, --version): exit with it.
  std::optional<int> exit_now;
  std::string command; // "list", "get", "tail", "verify", "providers", "config show", ...
  // Runs the chosen command; returns its exit code, throws Error.
  std::function<int(Environment&, StderrDiagnostics&)> run;
  // The options of each subcommand (only the chosen one is filled).
  ListOptions list;
  GetOptions get;
  TailOptions tail;
  VerifyOptions verify;
  ProvidersOptions providers;
  ListOptions config; // config show / check (the options of list); config profiles (--config)
  CompletionOptions completion;
  std::vector<std::string> source_texts; // list/tail --source NAME=PROFILE[,...], into .sources
};

// Parse argv (argv[0] is the program). --help and --version print to stdout and set exit_now
// to 0, as does a bare `auditfetch` (or `auditfetch config`), printing the commands. Every
// other parse failure throws Error(usage) with a message of ours (an unknown command or flag
// with the nearest known one, a flag without its value, a number out of range) and a hint
// naming the command's --help; CLI11's own texts and exit codes never leak out. The result refers to `registry`.
std::unique_ptr<ParsedCommandLine> parse_command_line(const std::vector<std::string>& args,
                                                      const Registry& registry);

// Directories of user provider definitions, loaded after the built-in ones in this order:
// $XDG_CONFIG_HOME/auditfetch/providers (or ~/.config/...), AUDITFETCH_PROVIDERS_DIR, then each
// --providers-dir found in args. The bool says whether the directory must exist.
std::vector<std::pair<std::string, bool>> definition_directories(const std::vector<std::string>& args,
                                                                 const EnvLookup& env);

// The --version text: auditfetch, OpenSSL and Boost versions.
std::string version_text();

} // namespace auditfetch
