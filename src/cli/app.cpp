// The top of the command line: the app, its subcommands (one file each), parse errors.
#include "auditfetch/cli/cli.hpp"

#include "auditfetch/util/error.hpp"
#include "options.hpp"

#include <boost/version.hpp>
#include <fmt/format.h>
#include <openssl/opensslv.h>

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
             "\nRun 'auditfetch COMMAND --help' for a command's options; 'man auditfetch' for more.\n" +
             exit_status_footer());

  setup_list(app, parsed, registry);
  setup_get(app, parsed, registry);
  setup_tail(app, parsed, registry);
  setup_verify(app, parsed, registry);
  setup_providers(app, parsed, registry);
  setup_config(app, parsed, registry);

  std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);
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
    std::string command;
    for (const CLI::App* sub = &app; !sub->get_subcommands().empty();) {
      sub = sub->get_subcommands().front();
      command += sub->get_name() + " ";
    }
    std::string message = e.what();
    if (message.empty())
      message = "invalid command line";
    throw Error(ErrorKind::usage, message,
                fmt::format("see 'auditfetch {}--help'", command));
  }
  return result;
}

} // namespace auditfetch
