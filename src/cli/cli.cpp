#include "auditfetch/cli/cli.hpp"

#include "auditfetch/error.hpp"

#include <CLI/CLI.hpp>
#include <boost/version.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/opensslv.h>

#include <iostream>
#include <set>

namespace auditfetch {
namespace {

constexpr const char* k_output_formats[] = {"table", "json", "ndjson", "csv"};

template <class T>
CLI::Option* add_optional(CLI::App& app, const std::string& name, std::optional<T>& target,
                          const std::string& help) {
  // A repeated single-value flag takes the last value, so a script can override a default.
  return app.add_option_function<T>(name, [&target](const T& value) { target = value; }, help)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

std::string exit_status_footer() {
  return "\nExit status:\n" + exit_status_text();
}

void add_config_file_option(CLI::App& sub, CommonOptions& o) {
  add_optional(sub, "--config", o.config_file,
               "Read profiles from FILE, not $XDG_CONFIG_HOME/auditfetch/config.toml; env AUDITFETCH_CONFIG")
      ->option_text("FILE")
      ->group("Configuration");
}

void add_config_options(CLI::App& sub, CommonOptions& o) {
  add_config_file_option(sub, o);
  add_optional(sub, "--profile", o.profile_name,
               "Use this profile of the config file, beneath flags and environment variables; "
               "env AUDITFETCH_PROFILE")
      ->option_text("NAME")
      ->group("Configuration");
}

void add_common(CLI::App& sub, CommonOptions& o, const Registry& registry) {
  // AUDITFETCH_PROVIDER is read with the config profile (flag, then environment, then profile).
  sub.add_option("-p,--provider", o.provider, "Provider (see 'auditfetch providers'); env AUDITFETCH_PROVIDER")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->option_text("NAME")
      ->group("Provider");
  add_optional(sub, "--base-url", o.base_url,
               "Replace the provider's API base URL (sandboxes, proxies, tests); env AUDITFETCH_BASE_URL")
      ->option_text("URL")
      ->group("Provider");
  // Every provider's settings become flags; run_* checks they fit the chosen provider.
  std::set<std::string> seen;
  for (const auto& spec : registry.all()) {
    for (const auto& setting : spec.settings) {
      if (!seen.insert(setting.name).second)
        continue;
      std::string help = fmt::format("{}: {}", spec.name, setting.help);
      if (!setting.env.empty())
        help += "; env " + fmt::format("{}", fmt::join(setting.env, ", "));
      if (setting.required)
        help += "; required";
      if (setting.default_value)
        help += "; default " + *setting.default_value;
      if (!setting.choices.empty()) {
        std::string names;
        for (const auto& [name, vars] : setting.choices)
          names += (names.empty() ? "" : "|") + name;
        help += "; one of " + names;
      }
      auto* settings = &o.settings;
      sub.add_option_function<std::string>(
             "--" + setting.name,
             [settings, name = setting.name](const std::string& v) { (*settings)[name] = v; }, help)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
          ->option_text("VALUE")
          ->group("Provider");
    }
  }
  sub.add_option("--providers-dir", o.providers_dirs,
                 "Also load provider definitions (*.json) from DIR; env AUDITFETCH_PROVIDERS_DIR")
      ->option_text("DIR")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group("Provider");
  add_optional(sub, "--token-file", o.token_file,
               "Read the bearer token from FILE (credentials are never flag values)")
      ->option_text("FILE")
      ->group("Credentials");
  add_optional(sub, "--token-url", o.token_url,
               "Replace the OAuth2 token endpoint; env AUDITFETCH_TOKEN_URL")
      ->option_text("URL")
      ->group("Credentials");
  add_optional(sub, "--ca-file", o.ca_file,
               "Also trust the CA certificates in FILE (PEM); SSL_CERT_FILE is honoured too")
      ->option_text("FILE")
      ->group("HTTP");
  sub.add_option("--timeout", o.timeout, "Connect and read timeout, e.g. 500ms, 2s (default 30s)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->option_text("DURATION")
      ->group("HTTP");
  sub.add_option("--retries", o.retries,
                 "Retries after the first try on network errors, 429, 502, 503, 504, honouring Retry-After (default 3; 0: none)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->option_text("N")
      ->group("HTTP");
  add_optional(sub, "-o,--output", o.output,
               "Output format: table|json|ndjson|csv (default: table on a terminal, else ndjson)")
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(k_output_formats),
                                                     std::end(k_output_formats))))
      ->option_text("FORMAT")
      ->group("Output");
  add_optional(sub, "--fields", o.fields,
               "Only these unified fields, comma-separated, e.g. created_at,action,actor.user.id")
      ->option_text("LIST")
      ->group("Output");
  sub.add_flag("--no-remote-data", o.no_remote_data, "Print remote_data as null")->group("Output");
  sub.add_flag("-v,--verbose", o.verbose,
               "Print each request (method, URL, status, time) to stderr, secrets redacted")
      ->group("Output");
  sub.add_flag("-q,--quiet", o.quiet,
               "No progress line and no warnings on stderr; errors (and -v's lines) are still printed")
      ->group("Output");
  add_config_options(sub, o);
}

// Long names of the options the command line gave, so that a profile fills only the others.
void record_given(const CLI::App& sub, CommonOptions& o) {
  for (const auto* option : sub.get_options())
    if (option->count() > 0)
      o.given.insert(option->get_single_name());
}

void add_filters(CLI::App& sub, ListOptions& o) {
  add_optional(sub, "--since", o.since,
               "From this time, inclusive: RFC 3339, an age (30s 15m 12h 7d 2w) or now")
      ->option_text("TIME")
      ->group("Filters");
  add_optional(sub, "--until", o.until, "Before this time, exclusive (same forms as --since)")
      ->option_text("TIME")
      ->group("Filters");
  sub.add_option("--action", o.actions,
                 "Only this action, unified (login, user_created, ...) or provider-native; repeatable")
      ->option_text("ACTION")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group("Filters");
  add_optional(sub, "--actor-id", o.actor_id, "Only activities by this actor")
      ->option_text("ID")
      ->group("Filters");
  add_optional(sub, "--entity", o.entity, "Only activities on this entity id")
      ->option_text("ID")
      ->group("Filters");
  add_optional(sub, "--entity-type", o.entity_type, "Only activities on entities of this type")
      ->option_text("TYPE")
      ->group("Filters");
  sub.add_option("--filter", o.filters, "Provider-native filter expression, ANDed; repeatable")
      ->option_text("EXPR")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group("Filters");
  sub.add_option("--param", o.params, "Raw query parameter passed through, key=value; repeatable")
      ->option_text("K=V")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group("Filters");
  add_optional(sub, "--limit", o.limit, "Stop after N activities (no request is sent once N are in hand)")
      ->option_text("N")
      ->group("Filters");
  add_optional(sub, "--page-size", o.page_size, "Activities per request (provider default and maximum apply)")
      ->option_text("N")
      ->group("Filters");
  add_optional(sub, "--state", o.state,
               "Checkpoint file: start after what the last run printed (takes precedence over --since), "
               "save progress after output is flushed")
      ->option_text("FILE")
      ->group("Checkpoint");
  sub.add_option("--overlap", o.overlap,
                 "Re-read this much before the checkpoint so late events are printed once (default 5m)")
      ->option_text("DURATION")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->group("Checkpoint");
}

} // namespace

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

ParsedCommandLine parse_command_line(const std::vector<std::string>& args, const Registry& registry) {
  ParsedCommandLine parsed;
  CLI::App app("auditfetch: fetch audit and activity logs from SaaS and identity platforms",
               "auditfetch");
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  app.footer("Examples:\n"
             "  auditfetch list -p pingone --environment-id ENV --since 24h --action login -o ndjson\n"
             "  auditfetch get -p pingone --environment-id ENV a4a0a8c0-2d47-4efe-a8a5-463684f79f1c\n"
             "  auditfetch providers pingone\n"
             "\nRun 'auditfetch COMMAND --help' for a command's options; 'man auditfetch' for more.\n" +
             exit_status_footer());

  auto* list = app.add_subcommand("list", "List activities, streamed page by page");
  add_common(*list, parsed.list.common, registry);
  add_filters(*list, parsed.list);
  list->footer("Examples:\n"
               "  auditfetch list -p sailpoint --tenant acme --state ~/.local/state/sp.json >> sp.ndjson  # cron\n"
               "  auditfetch list -p pingone --environment-id ENV --since 24h --action login -o ndjson | jq .actor.user.id\n"
               "  auditfetch list -p pingone --since 2024-05-01T00:00:00Z --until 2024-05-02T00:00:00Z -o csv > may1.csv\n"
               "  auditfetch list -p pingone --action USER.CREATED --limit 10 -o table\n" +
               exit_status_footer());

  auto* get = app.add_subcommand("get", "Print one activity by id");
  add_common(*get, parsed.get.common, registry);
  get->add_option("id", parsed.get.id, "Activity id")->required();
  get->footer("Examples:\n"
              "  auditfetch get -p pingone --environment-id ENV a4a0a8c0-2d47-4efe-a8a5-463684f79f1c -o json\n" +
              exit_status_footer());

  auto* tail = app.add_subcommand("tail", "Follow new activities as they appear, oldest first");
  add_common(*tail, parsed.tail.list.common, registry);
  add_filters(*tail, parsed.tail.list);
  tail->add_option("--interval", parsed.tail.interval, "Time between polls, at least 1s (default 30s)")
      ->option_text("DURATION")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->group("Checkpoint");
  tail->footer("Starts at --since (default: 10 minutes ago) or the checkpoint, prints what exists, then polls.\n"
               "SIGINT exits 130 and SIGTERM exits 0, after flushing and saving the checkpoint.\n"
               "Examples:\n"
               "  auditfetch tail -p thousandeyes --aid 1234 --state ~/.local/state/te.json >> te.ndjson\n"
               "  auditfetch tail -p pingone --environment-id ENV --action login_failed -o table\n" +
               exit_status_footer());

  auto* providers = app.add_subcommand("providers", "List providers, or describe one");
  add_optional(*providers, "name", parsed.providers.name, "Provider to describe");
  providers->add_flag("--names", parsed.providers.names_only, "Print only the names (for completion)");
  providers->add_option("--providers-dir", parsed.providers.providers_dirs,
                        "Also load provider definitions (*.json) from DIR; env AUDITFETCH_PROVIDERS_DIR")
      ->option_text("DIR")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  providers->footer("Examples:\n  auditfetch providers\n  auditfetch providers pingone\n" +
                    exit_status_footer());

  auto* config = app.add_subcommand("config", "Show or check the settings and profiles of config.toml");
  config->require_subcommand(1);
  config->footer("Examples:\n"
                 "  auditfetch config profiles\n"
                 "  auditfetch config show --profile prod-ping\n"
                 "  auditfetch config check --profile prod-ping\n" +
                 exit_status_footer());
  auto* config_show = config->add_subcommand(
      "show", "Print the settings a list would use, each with its source; secrets masked");
  add_common(*config_show, parsed.config.common, registry);
  add_filters(*config_show, parsed.config);
  config_show->footer("Examples:\n"
                      "  auditfetch config show --profile prod-ping\n"
                      "  auditfetch config show -p pingone --environment-id ENV\n" +
                      exit_status_footer());
  auto* config_check = config->add_subcommand(
      "check", "Try the credentials: a token request (OAuth2) and a one-activity list");
  add_common(*config_check, parsed.config.common, registry);
  add_filters(*config_check, parsed.config);
  config_check->footer("Exit status 0 when both work, 2 for configuration, 3 when refused, 1 otherwise.\n"
                       "Examples:\n"
                       "  auditfetch config check --profile prod-ping\n"
                       "  AUDITFETCH_PROFILE=prod-ping auditfetch config check -v\n" +
                       exit_status_footer());
  auto* config_profiles = config->add_subcommand(
      "profiles", "Print the profile names, one a line (nothing without a config file)");
  add_config_file_option(*config_profiles, parsed.config.common);
  config_profiles->footer("Examples:\n  auditfetch config profiles\n" + exit_status_footer());

  std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    parsed.exit_now = app.exit(e);
    return parsed;
  } catch (const CLI::CallForAllHelp& e) {
    parsed.exit_now = app.exit(e);
    return parsed;
  } catch (const CLI::CallForVersion& e) {
    parsed.exit_now = app.exit(e);
    return parsed;
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
  if (list->parsed()) {
    parsed.command = Command::list;
    record_given(*list, parsed.list.common);
  } else if (get->parsed()) {
    parsed.command = Command::get;
    record_given(*get, parsed.get.common);
  } else if (tail->parsed()) {
    parsed.command = Command::tail;
    record_given(*tail, parsed.tail.list.common);
  } else if (config_show->parsed()) {
    parsed.command = Command::config_show;
    record_given(*config_show, parsed.config.common);
  } else if (config_check->parsed()) {
    parsed.command = Command::config_check;
    record_given(*config_check, parsed.config.common);
  } else if (config_profiles->parsed()) {
    parsed.command = Command::config_profiles;
  } else {
    parsed.command = Command::providers;
  }
  return parsed;
}

} // namespace auditfetch
