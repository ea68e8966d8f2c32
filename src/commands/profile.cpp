// A chosen profile beneath the command line and the environment.
#include "auditfetch/commands/profile.hpp"

#include "auditfetch/config/command.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/interrupt.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace auditfetch {

SecretReaders readers_for(Environment& environment) {
  SecretReaders readers;
  readers.env = environment.env;
  readers.run_command = [](const CredentialSpec& spec, const std::string& what) {
    return run_secret_command(spec.argv, spec.timeout, what, interrupted);
  };
  auto* diagnostics = environment.diagnostics;
  readers.warn = [diagnostics](const std::string& line) {
    if (diagnostics)
      diagnostics->warning(line);
  };
  return readers;
}

void apply_profile(const Profile* profile, CommonOptions& common, ListOptions* list,
                   std::string* interval, const SecretReaders& readers) {
  const auto given = [&common](const std::string& key) { return common.given.count(key) > 0; };
  if (given("provider")) {
    common.provider_source = "--provider";
  } else if (auto from_env = readers.env("AUDITFETCH_PROVIDER")) {
    common.provider = *from_env;
    common.provider_source = "AUDITFETCH_PROVIDER";
  } else if (profile && profile->provider) {
    common.provider = *profile->provider;
    common.provider_source = "provider in " + profile->source_of("provider");
  }
  if (!profile)
    return;

  auto& layer = common.profile;
  layer.name = profile->name;
  for (const auto& [key, entry] : profile->settings) {
    layer.settings[key] = entry.values.at(0);
    layer.where[key] = entry.where;
  }
  for (const auto& [key, entry] : profile->options)
    layer.where[key] = entry.where;
  for (const auto& [key, spec] : profile->credentials) {
    layer.where[key] = spec.where;
    SecretSource source;
    source.description = fmt::format("{} ({} in profile {}, {})", spec.describe(), key,
                                     profile->name, spec.where);
    source.read = [spec = spec, name = profile->name, key = key, readers] {
      return read_credential(spec, name, key, readers);
    };
    (key == "token" ? layer.token : key == "client-id" ? layer.client_id : layer.client_secret) =
        std::move(source);
  }

  // The rest have no environment variables: the profile fills what the flags left unset.
  const auto value = [&](const std::string& key) -> const std::vector<std::string>* {
    const auto it = profile->options.find(key);
    if (it == profile->options.end() || given(key))
      return nullptr;
    return &it->second.values;
  };
  const auto first = [&](const std::string& key) -> std::optional<std::string> {
    if (const auto* values = value(key))
      return values->at(0);
    return std::nullopt;
  };
  if (auto v = profile->options.find("base-url"); v != profile->options.end())
    layer.base_url = v->second.values.at(0);
  if (auto v = profile->options.find("token-url"); v != profile->options.end())
    layer.token_url = v->second.values.at(0);
  if (auto v = first("ca-file"))
    common.ca_file = v;
  if (auto v = first("timeout"))
    common.timeout = *v;
  if (auto v = first("retries"))
    common.retries = std::stoi(*v);
  if (auto v = first("output"))
    common.output = v;
  if (const auto* v = value("fields"))
    common.fields = fmt::format("{}", fmt::join(*v, ","));
  if (auto v = first("no-remote-data"))
    common.no_remote_data = *v == "true";
  if (list) {
    if (auto v = first("since"))
      list->query.since = v;
    if (auto v = first("until"); v && !interval) // tail has no end
      list->query.until = v;
    if (const auto* v = value("action"))
      list->query.actions = *v;
    if (auto v = first("actor-id"))
      list->query.actor_id = v;
    if (auto v = first("entity"))
      list->query.entity = v;
    if (auto v = first("entity-type"))
      list->query.entity_type = v;
    if (const auto* v = value("filter"))
      list->query.filters = *v;
    if (const auto* v = value("param"))
      list->query.params = *v;
    if (auto v = first("page-size"))
      list->query.page_size = static_cast<std::size_t>(std::stoull(*v));
    if (auto v = first("state"))
      list->state = v;
    if (auto v = first("overlap"))
      list->overlap = *v;
  }
  if (interval)
    if (auto v = first("interval"))
      *interval = *v;
}

std::string option_source(const std::string& key, const CommonOptions& common,
                          const Profile* profile) {
  if (common.given.count(key))
    return "--" + key;
  if (profile && profile->options.count(key))
    return key + " in " + profile->source_of(key);
  return "default";
}

ConfigUse use_config(CommonOptions& common, ListOptions* list, std::string* interval,
                     const Registry& registry, Environment& environment) {
  const auto readers = readers_for(environment);
  ConfigUse use;
  use.location = locate_config(common.config_file, environment.env);
  use.config = load_config(use.location, registry, environment.env, readers.warn);
  use.choice = select_profile(use.config, use.location, common.profile_name, environment.env);
  apply_profile(use.profile(), common, list, interval, readers);
  if (common.token_file)
    if (auto warning = exposure_warning(*common.token_file, "token file"))
      readers.warn(*warning);
  return use;
}

} // namespace auditfetch
