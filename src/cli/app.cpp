// The top of the command line: the app, its subcommands (one file each), parse errors.
#include "auditfetch/cli/cli.hpp"

#include "auditfetch/util/error.hpp"
#include "options.hpp"

#include <boost/version.hpp>
#include <fmt/format.h>
#include <openssl/opensslv.h>

#include <iostream>

namespace auditfetch {

using namespace cli;

std::vector<std::pair<std::string, bool>> definition_directories(const std::vector<std::string>& args,
                                                                 const EnvLookup& env) {
  std::vector<std::pair<std::string, bool>> dirs;
  if (auto xdg = env("XDG_CONFIG_HOME"))
    dirs.emplace_back(*xdg + "/auditfetch/providers", false);
  else if (auto home = env("HOME"))
    dirs.emplace_back(*home + "/.config/auditfetch/providers", false);
  if (auto dir = env("AUDITFETCH_PROVIDERS_DIR"))
    dirs.emplace_back(*dir, true);
  // Flags for providers must exist before CLI11 parses, so this one is read ahead.
  const std::string flag = "--providers-dir";
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--")
      break;
    if (args[i] == flag && i + 1 < args.size())
      dirs.emplace_back(args[++i], true);
    else if (args[i].rfind(flag + "=", 0) == 0)
      dirs.emplace_back(args[i].substr(flag.size() + 1), true);
  }
  return dirs;
}

std::string version_text() {
  return fmt::format("auditfetch {}\nbuilt with {}, Boost {}.{}.{}", AUDITFETCH_VERSION,
                     OPENSSL_VERSION_TEXT, BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
                     BOOST_VERSION % 100);
}


namespace {

using Setup = void (*)(CLI::App&, ParsedCommandLine&, const Registry&);

struct Command {
  std::string_view name;
  std::string_view description;
  Setup setup;
};

void setup_help_command(CLI::App& command, ParsedCommandLine&, const Registry&) {
  setup_help(command);
}

// The commands, in the order `auditfetch --help` lists them.
constexpr Command k_commands[] = {
    {"list", "List activities, streamed page by page", setup_list},
    {"get", "Print activities by id; on a terminal, every field and the provider's record", setup_get},
    {"tail", "Follow new activities as they appear, oldest first", setup_tail},
    {"verify", "Check that NDJSON files hold every activity of a window exactly once, by listing it again",
     setup_verify},
    {"providers", "List providers, or describe one", setup_providers},
    {"config", "Show or check the settings and profiles of config.toml", setup_config},
    {"completion", "Print the shell completion script: bash, zsh or fish", setup_completion},
    {"help", "Print a command's help: 'auditfetch help list' is 'auditfetch list --help'",
     setup_help_command},
};

// The command the line names: its first word that is not a flag (the top level takes only
// --help and --version, which have no value); after `help`, the word after it.
std::string_view invoked_command(const std::vector<std::string>& args) {
  bool after_help = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--")
      break;
    if (args[i].empty() || args[i].front() == '-')
      continue;
    if (args[i] == "help" && !after_help) {
      after_help = true;
      continue;
    }
    return args[i];
  }
  return after_help ? "help" : "";
}

} // namespace

std::unique_ptr<ParsedCommandLine> parse_command_line(const std::vector<std::string>& args,
                                                      const Registry& registry) {
  // On the heap: the subcommands' callbacks and `run` refer to it.
  auto result = std::make_unique<ParsedCommandLine>();
  auto& parsed = *result;
  CLI::App app("auditfetch: fetch audit and activity logs from SaaS and identity platforms",
               "auditfetch");
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  app.footer("Examples:\n"
             "  auditfetch list -p pingone --environment-id ENV --since 24h --action login -o ndjson\n"
             "  auditfetch get -p pingone --environment-id ENV a4a0a8c0-2d47-4efe-a8a5-463684f79f1c\n"
             "  auditfetch verify -p okta --domain acme.okta.com --since 2024-05-01T00:00:00Z --until 2024-05-02T00:00:00Z okta.ndjson\n"
             "  auditfetch providers pingone\n"
             "\nRun 'auditfetch help COMMAND' (or 'auditfetch COMMAND --help') for a command's options; "
             "'man auditfetch' for more.\n" +
             exit_status_footer());

  // Every command is listed, but only the one the line names gets its flags: each command's
  // setup costs (list's adds every provider's settings), and `--help` needs none of them.
  const auto invoked = invoked_command(args);
  for (const auto& command : k_commands) {
    auto* sub = app.add_subcommand(std::string(command.name), std::string(command.description));
    if (command.name == invoked)
      command.setup(*sub, parsed, registry);
  }

  const auto prepared = prepare_arguments(app, args, registry);
  if (prepared.bare) {
    std::cout << short_usage(*prepared.bare, prepared.path) << std::flush;
    parsed.exit_now = 0;
    return result;
  }
  std::vector<std::string> reversed(prepared.args.rbegin(), prepared.args.rend() - 1);
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    parsed.exit_now = app.exit(e);
    return result;
  } catch (const CLI::CallForAllHelp& e) {
    parsed.exit_now = app.exit(e);
    return result;
  } catch (const CLI::CallForVersion& e) {
    parsed.exit_now = app.exit(e);
    return result;
  } catch (const CLI::ParseError& e) {
    throw parse_error(e, prepared);
  }
  return result;
}

} // namespace auditfetch
