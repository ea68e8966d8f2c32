#pragma once
// Command line → options. The only place that includes CLI11.

#include "auditfetch/cli/options.hpp"
#include "auditfetch/provider/context.hpp"
#include "auditfetch/provider/registry.hpp"

#include <optional>
#include <string>
#include <vector>

namespace auditfetch {

enum class Command { list, get, tail, providers, config_show, config_check, config_profiles };

struct ParsedCommandLine {
  // Set when the command line was fully handled (--help, --version): exit with it.
  std::optional<int> exit_now;
  Command command = Command::list;
  ListOptions list;
  GetOptions get;
  TailOptions tail;
  ProvidersOptions providers;
  ListOptions config; // config show / check (the options of list); config profiles (--config)
};

// Parse argv (argv[0] is the program). --help and --version print to stdout and set exit_now
// to 0. Every other parse failure throws Error(usage) with CLI11's message and a hint naming
// the command's --help; CLI11's own exit codes never leak out.
ParsedCommandLine parse_command_line(const std::vector<std::string>& args, const Registry& registry);

// Directories of user provider definitions, loaded after the built-in ones in this order:
// $XDG_CONFIG_HOME/auditfetch/providers (or ~/.config/...), AUDITFETCH_PROVIDERS_DIR, then each
// --providers-dir found in args. The bool says whether the directory must exist.
std::vector<std::pair<std::string, bool>> definition_directories(const std::vector<std::string>& args,
                                                                 const EnvLookup& env);

// The --version text: auditfetch, OpenSSL and Boost versions.
std::string version_text();

} // namespace auditfetch
