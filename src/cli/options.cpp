#include "options.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/util/suggest.hpp"
#include "auditfetch/util/text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

namespace auditfetch::cli {
namespace {

constexpr const char* k_output_formats[] = {"table", "json", "ndjson", "csv"};

} // namespace

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
  // Every value is kept (list reads each as a source); record_given sets profile_name.
  sub.add_option("--profile", o.profile_names,
                 "Use this profile of the config file, beneath flags and environment variables; "
                 "env AUDITFETCH_PROFILE. list, tail, verify: give it again for several sources")
      ->option_text("NAME")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group("Configuration");
  sub.add_flag("--no-profile", o.no_profile,
               "Use no profile, not even AUDITFETCH_PROFILE or the file's default-profile")
      ->group("Configuration");
}

void add_common(CLI::App& sub, CommonOptions& o, const Registry& registry) {
  // AUDITFETCH_PROVIDER is read with the config profile (flag, then environment, then profile).
  // Case does not matter (-p PingOne); the definition's own spelling is kept.
  sub.add_option_function<std::string>(
         "-p,--provider",
         [&o, &registry](const std::string& name) {
           const auto* spec = registry.summary_if(name);
           o.provider = spec ? spec->name : name;
         },
         "Provider (see 'auditfetch providers'); env AUDITFETCH_PROVIDER")
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
      // What each provider says of it (its help, variables, default, choices); providers that
      // say the same are named together: "okta: ...; auth0: ...".
      std::vector<std::pair<std::vector<std::string>, std::string>> texts;
      for (const auto& owner : registry.all()) {
        const auto* own = owner.setting(setting.name);
        if (!own)
          continue;
        std::string text = own->help;
        for (const auto& group : owner.one_of)
          if (std::find(group.begin(), group.end(), setting.name) != group.end()) {
            std::vector<std::string> flags;
            for (const auto& name : group)
              flags.push_back("--" + name);
            text += fmt::format("; exactly one of {}", fmt::join(flags, ", "));
          }
        if (!own->env.empty())
          text += "; env " + fmt::format("{}", fmt::join(own->env, ", "));
        if (own->required)
          text += "; required";
        if (own->default_value)
          text += "; default " + *own->default_value;
        if (!own->choices.empty()) {
          std::string names;
          for (const auto& [name, vars] : own->choices)
            names += (names.empty() ? "" : "|") + name;
          text += "; one of " + names;
        }
        auto same = std::find_if(texts.begin(), texts.end(), [&](const auto& t) { return t.second == text; });
        if (same == texts.end())
          texts.push_back({{owner.name}, text});
        else
          same->first.push_back(owner.name);
      }
      std::string help;
      for (const auto& [owners, text] : texts)
        help += fmt::format("{}{}: {}", help.empty() ? "" : ". ", fmt::join(owners, ", "), text);
      auto* settings = &o.settings;
      // A boolean setting is a switch: bare means true (prepare_arguments).
      const bool flag = is_switch(setting);
      if (flag)
        help += "; bare: true";
      sub.add_option_function<std::string>(
             "--" + setting.name,
             [settings, name = setting.name](const std::string& v) { (*settings)[name] = v; }, help)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
          ->option_text(flag ? "[true|false]" : "VALUE")
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
               "Read the bearer token from FILE (-: standard input, not a terminal); credentials are never flag values")
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
  add_count(sub, "--retries", [&o](long long n) { o.retries = static_cast<int>(n); }, 0, 1000000,
            "Retries after the first try on network errors, 429, 502, 503, 504, honouring Retry-After (default 3; 0: none)")
      ->option_text("N")
      ->group("HTTP");
  add_optional(sub, "--rate", o.rate,
               "Send at most this many requests per period to the account, all connections together, "
               "e.g. 10/s, 5/10s, 50/min (default: the limit the provider documents, if any; 429 and "
               "rate-limit headers always slow the run)")
      ->option_text("N/PERIOD")
      ->group("HTTP");
  sub.add_option_function<std::string>(
         "-o,--output",
         [&o](const std::string& text) {
           const std::vector<std::string> formats(std::begin(k_output_formats), std::end(k_output_formats));
           for (const auto& format : formats)
             if (iequals(format, text)) {
               o.output = format; // -o NDJSON
               return;
             }
           const auto suggestion = did_you_mean(text, formats);
           throw Error(ErrorKind::usage, fmt::format("unknown output format \"{}\"{}", text, suggestion),
                       "use table, json, ndjson or csv");
         },
         "Output format: table|json|ndjson|csv (default: table on a terminal, else ndjson)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->option_text("FORMAT")
      ->group("Output");
  add_optional(sub, "--fields", o.fields,
               "Only these unified fields, in this order, comma-separated, e.g. created_at,action,actor.user.id")
      ->option_text("LIST")
      ->group("Output");
  sub.add_flag("--no-headers", o.no_headers, "Table and CSV: no header line")->group("Output");
  sub.add_flag("--wide", o.wide,
               "Table: shorten nothing to fit the terminal (off a terminal nothing is shortened anyway)")
      ->group("Output");
  add_optional(sub, "--color", o.color,
               "Colour the table: auto (on a terminal, unless NO_COLOR is set or TERM=dumb), always, never")
      ->option_text("WHEN")
      ->group("Output");
  add_optional(sub, "--tz", o.tz,
               "Zone of times given without one (--since 2024-05-01, today) and of the table's times: "
               "UTC (default), local ($TZ, else the system's) or a name such as Europe/Paris; JSON, NDJSON "
               "and CSV stay UTC")
      ->option_text("ZONE")
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
  if (!o.profile_names.empty())
    o.profile_name = o.profile_names.back();
  for (const auto* option : sub.get_options())
    if (option->count() > 0)
      o.given.insert(option->get_single_name());
}

// --source NAME=PROFILE[,SETTING=VALUE...]
NamedSource parse_source(const std::string& text) {
  const auto hint = "use --source NAME=PROFILE, optionally followed by ,SETTING=VALUE (e.g. "
                    "--source eu=okta,domain=acme-eu.okta.com)";
  std::vector<std::string> parts;
  std::size_t from = 0;
  for (;;) {
    const auto comma = text.find(',', from);
    parts.push_back(text.substr(from, comma - from));
    if (comma == std::string::npos)
      break;
    from = comma + 1;
  }
  NamedSource source;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto eq = parts[i].find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == parts[i].size())
      throw Error(ErrorKind::usage, fmt::format("--source {}: '{}' is not NAME=VALUE", text, parts[i]), hint);
    auto key = parts[i].substr(0, eq);
    auto value = parts[i].substr(eq + 1);
    if (i == 0) {
      source.name = std::move(key);
      source.profile = std::move(value);
    } else if (!source.settings.emplace(key, value).second) {
      throw Error(ErrorKind::usage, fmt::format("--source {}: {} is given twice", text, key), hint);
    }
  }
  return source;
}

void add_sources(CLI::App& sub, std::vector<std::string>& texts, ListOptions& o, bool with_state_dir) {
  sub.add_option("--source", texts,
                 with_state_dir
                     ? "Read the source NAME from config profile PROFILE, with its own settings if given; repeat "
                       "(with --profile too) to merge several sources into one stream, each activity naming its "
                       "`source`"
                     : "Verify the source NAME of config profile PROFILE, with its own settings if given, against "
                       "the lines that name it (`source`); repeat (with --profile too) for several sources")
      ->option_text("NAME=PROFILE[,SETTING=VALUE...]")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group("Configuration");
  if (!with_state_dir)
    return;
  add_optional(sub, "--state-dir", o.state_dir,
               "Several sources: one checkpoint file per source in DIR, named SOURCE.json (--state "
               "is for one source)")
      ->option_text("DIR")
      ->group("Checkpoint");
}

bool gather_sources(const std::vector<std::string>& texts, ListOptions& o) {
  if (o.common.profile_names.size() <= 1 && texts.empty()) {
    if (o.state_dir)
      throw Error(ErrorKind::usage, "--state-dir keeps one state file per source, but this run reads one",
                  "use --state FILE, or name several sources (--profile A --profile B)");
    return false;
  }
  std::vector<NamedSource> sources;
  for (const auto& profile : o.common.profile_names)
    sources.push_back({profile, profile, {}});
  for (const auto& text : texts)
    sources.push_back(parse_source(text));
  o.sources = std::move(sources);
  return true;
}

void add_filters(CLI::App& sub, ListOptions& o, bool follow) {
  add_selection(sub, o.query, !follow, !follow);
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

void add_selection(CLI::App& sub, QueryOptions& q, bool limit, bool until) {
  add_optional(sub, "--since", q.since,
               "From this time, inclusive: RFC 3339, a date (2024-05-01) or time without an offset "
               "(2024-05-01T10:00, in --tz), an age (30s 15m 1h30m 7d 2w), today, yesterday or now")
      ->option_text("TIME")
      ->group("Filters");
  if (until)
    add_optional(sub, "--until", q.until, "Before this time, exclusive (same forms as --since)")
        ->option_text("TIME")
        ->group("Filters");
  sub.add_option("--action", q.actions,
                 "Only this action, unified (login, user_created, ...) or provider-native; repeatable")
      ->option_text("ACTION")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group("Filters");
  add_optional(sub, "--actor-id", q.actor_id, "Only activities by this actor")
      ->option_text("ID")
      ->group("Filters");
  add_optional(sub, "--entity", q.entity, "Only activities on this entity id")
      ->option_text("ID")
      ->group("Filters");
  add_optional(sub, "--entity-type", q.entity_type, "Only activities on entities of this type")
      ->option_text("TYPE")
      ->group("Filters");
  sub.add_option("--filter", q.filters, "Provider-native filter expression, ANDed; repeatable")
      ->option_text("EXPR")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group("Filters");
  sub.add_option("--param", q.params, "Raw query parameter passed through, key=value; repeatable")
      ->option_text("K=V")
      ->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group("Filters");
  if (limit)
    add_count(sub, "--limit", [&q](long long n) { q.limit = static_cast<std::size_t>(n); }, 1, std::nullopt,
              "Stop after N activities (no request is sent once N are in hand)")
        ->option_text("N")
        ->group("Filters");
  add_count(sub, "--page-size", [&q](long long n) { q.page_size = static_cast<std::size_t>(n); }, 1,
            std::nullopt, "Activities per request (provider default and maximum apply)",
            "use a whole number from 1 to the provider's maximum ('auditfetch providers NAME' says it)")
      ->option_text("N")
      ->group("Filters");
}

void add_explain(CLI::App& sub, CommonOptions& o) {
  sub.add_flag("--explain", o.explain,
               "Print the plan and send nothing: provider, endpoint, the first request (credentials as "
               "****), filters pushed down and local, paging, order, window, state, credential source; "
               "-o json for JSON")
      ->group("Output");
}

void add_delivery(CLI::App& sub, ListOptions& o) {
  add_optional(sub, "--exec", o.exec,
               "Run CMD (/bin/sh -c) once per batch, the batch's NDJSON on its stdin, its output on "
               "stderr; the checkpoint moves only after it exits 0. Nothing goes to stdout")
      ->option_text("CMD")
      ->group("Delivery");
  add_count(sub, "--batch", [&o](long long n) { o.batch = static_cast<std::size_t>(n); }, 1, std::nullopt,
            "Activities per --exec batch (default: a page; tail: a poll)")
      ->option_text("N")
      ->group("Delivery");
  add_count(sub, "--exec-retries", [&o](long long n) { o.exec_retries = static_cast<int>(n); }, 0, 1000000,
            "Tries of a failed --exec batch after the first, with backoff, before exit 1 (default 3)")
      ->option_text("N")
      ->group("Delivery");
  add_optional(sub, "--wait-lock", o.wait_lock,
               "Wait up to DURATION while another run uses the --state file (default: exit 6 at once)")
      ->option_text("DURATION")
      ->group("Checkpoint");
}

void configure(StderrDiagnostics& diagnostics, const CommonOptions& o) {
  diagnostics.set_verbose(o.verbose);
  diagnostics.set_quiet(o.quiet);
}

} // namespace auditfetch::cli
