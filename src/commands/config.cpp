#include "auditfetch/commands/config.hpp"

#include "auditfetch/commands/profile.hpp"
#include "auditfetch/paging/page.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/http/url.hpp"
#include "stages.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

namespace auditfetch {
namespace {

constexpr const char* k_masked = "****";

// "--output" → "flag --output", "PINGONE_REGION" → "env PINGONE_REGION", "region in
// profile p (FILE:LINE)" → "profile p (FILE:LINE)" (the key is on the row already).
std::string source_text(const std::string& key, const std::string& source) {
  if (source.rfind("--", 0) == 0)
    return "flag " + source;
  if (!source.empty() && std::all_of(source.begin(), source.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '/';
      }))
    return "env " + source;
  if (source.rfind(key + " in ", 0) == 0)
    return source.substr(key.size() + 4);
  return source;
}

// Rows of `config show`: KEY  VALUE  SOURCE.
class Report {
public:
  void add(std::string key, std::string value, std::string source) {
    m_rows.push_back({std::move(key), std::move(value), std::move(source)});
  }

  std::string text() const {
    std::size_t key_width = 0;
    std::size_t value_width = 0;
    for (const auto& row : m_rows) {
      key_width = std::max(key_width, row[0].size());
      value_width = std::max(value_width, std::min<std::size_t>(row[1].size(), 40));
    }
    std::string out;
    for (const auto& [key, value, source] : m_rows)
      out += fmt::format("{:<{}}  {:<{}}  {}\n", key, key_width, value, value_width,
                         source_text(key, source));
    return out;
  }

private:
  std::vector<std::array<std::string, 3>> m_rows;
};

void print(Environment& environment, const std::string& text) {
  FdSink sink(environment.stdout_fd);
  sink.write(text);
  sink.flush();
}

std::string config_text(const ConfigUse& use) {
  if (use.config)
    return use.location.path;
  return use.location.path.empty() ? "none (neither XDG_CONFIG_HOME nor HOME is set)"
                                   : use.location.path + " (absent)";
}

// The options a profile may fill, as `config show` prints them.
void add_options(Report& report, const ListOptions& options, const Profile* profile) {
  const auto& c = options.common;
  const auto row = [&](const std::string& key, const std::string& value) {
    report.add(key, value, option_source(key, c, profile));
  };
  const auto optional = [&](const std::string& key, const std::optional<std::string>& value) {
    if (value)
      row(key, *value);
  };
  const auto list = [&](const std::string& key, const std::vector<std::string>& values) {
    if (!values.empty())
      row(key, fmt::format("{}", fmt::join(values, ", ")));
  };
  row("output", c.output.value_or("table on a terminal, else ndjson"));
  optional("fields", c.fields);
  if (c.no_remote_data)
    row("no-remote-data", "true");
  row("timeout", c.timeout);
  row("retries", std::to_string(c.retries));
  optional("rate", c.rate);
  optional("ca-file", c.ca_file);
  optional("since", options.query.since);
  optional("until", options.query.until);
  list("action", options.query.actions);
  optional("actor-id", options.query.actor_id);
  optional("entity", options.query.entity);
  optional("entity-type", options.query.entity_type);
  list("filter", options.query.filters);
  list("param", options.query.params);
  if (options.query.limit)
    row("limit", std::to_string(*options.query.limit));
  if (options.query.page_size)
    row("page-size", std::to_string(*options.query.page_size));
  optional("state", options.state);
  if (options.state || c.given.count("overlap") || (profile && profile->options.count("overlap")))
    row("overlap", options.overlap);
}

} // namespace

int run_config_show(ListOptions& options, const Registry& registry, Environment& environment) {
  const auto use = use_config(options.common, &options, nullptr, registry, environment);
  const auto* profile = use.profile();
  auto& c = options.common;
  Report report;
  report.add("config", config_text(use), use.location.source);
  report.add("profile", use.choice.name.empty() ? "none" : use.choice.name, use.choice.source);
  try {
    if (c.provider.empty())
      throw Error(ErrorKind::usage, "no provider given",
                  "pass -p NAME, set AUDITFETCH_PROVIDER or give the profile a provider");
    const auto& spec = registry.find(c.provider);
    report.add("provider", spec.name, c.provider_source);
    const auto context = resolve_context(spec, c.settings, c.base_url, environment.env, &c.profile);
    for (const auto& setting : spec.settings)
      if (auto it = context.vars.find(setting.name); it != context.vars.end())
        report.add(setting.name, it->second, context.sources.at(setting.name));
    report.add("base-url", context.base_url, context.base_url_source);
    const CredentialFlags flags{c.token_file, c.token_url, &c.profile};
    const auto credentials =
        resolve_credentials(spec.name, spec.auth, flags, context.vars, environment.env, false).credentials;
    if (credentials.kind == CredentialNeeds::Kind::token) {
      report.add("token", k_masked, credentials.source);
    } else {
      report.add("client-credentials", k_masked, credentials.source);
      report.add("token-url", redact_url(credentials.token_url), credentials.token_url_source);
    }
  } catch (const Error&) {
    print(environment, report.text()); // what resolved, then the error
    throw;
  }
  add_options(report, options, profile);
  print(environment, report.text());
  return k_exit_ok;
}

int run_config_check(ListOptions& options, const Registry& registry, Environment& environment) {
  const auto use = use_config(options.common, &options, nullptr, registry, environment);
  FdSink out(environment.stdout_fd);
  const auto say = [&out](const std::string& step, const std::string& text) {
    out.write(fmt::format("{:<12} {}\n", step, text));
    out.flush();
  };
  say("config", config_text(use));
  say("profile", use.choice.name.empty() ? "none" : use.choice.name + " (" + use.choice.source + ")");
  auto stages = make_stages(options.common, registry, environment, Shape::stream);
  const auto& spec = stages->spec();
  const auto& credentials = stages->api->credentials();
  say("provider", fmt::format("{} at {}", spec.name, redact_url(stages->context.base_url)));
  const bool token_endpoint = !credentials.token_url.empty();
  say("credentials", fmt::format("{} from {}",
                                 token_endpoint ? "OAuth2 client credentials"
                                 : credentials.kind == CredentialNeeds::Kind::token ? "token"
                                                                                    : "client id and secret",
                                 credentials.source));
  try {
    if (token_endpoint) {
      HttpRequest probe;
      stages->authorizer->authorize(probe);
      say("token", fmt::format("ok: {} issued a token", redact_url(credentials.token_url)));
    }
    const auto now = environment.now();
    auto query = list_query(options, now);
    query.limit = 1;
    const auto plan = plan_list(stages->context, query, now);
    auto response = stages->api->fetch(plan.first, Purpose::list);
    const auto page = parse_page(response, spec.list.records_pointer, 1, plan.first.url);
    stages->api->check_body(page.parsed.root, Purpose::list);
    const auto records = page.records ? page.records->size() : 0;
    const auto url = redact_url(plan.first.url);
    say("list", fmt::format("ok: {} answered with {} {}", url.substr(0, url.find('?')), records,
                            records == 1 ? "activity" : "activities"));
  } catch (const Error& e) {
    throw e.with_context("config check: " + spec.name);
  }
  return k_exit_ok;
}

int run_config_profiles(const CommonOptions& options, const Registry& registry,
                        Environment& environment) {
  const auto location = locate_config(options.config_file, environment.env);
  const auto config = load_config(location, registry, environment.env, {});
  std::string out;
  if (config)
    for (const auto& name : config->names())
      out += name + "\n";
  print(environment, out);
  return k_exit_ok;
}

} // namespace auditfetch
