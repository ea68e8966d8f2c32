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
                   std::string* interval, const SecretReaders& readers, bool named) {
  const auto given = [&common](const std::string& key) { return common.given.count(key) > 0; };
  if (given("provider")) {
    common.provider_source = "--provider";
  } else if (named && profile && profile->provider) {
    // --profile is on the command line: its provider comes before AUDITFETCH_PROVIDER.
    common.provider = *profile->provider;
    common.provider_source = "provider in " + profile->source_of("provider");
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
  if (auto v = first("rate"))
    common.rate = v;
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

namespace {

// The provider chosen apart from the profile: -p, else (for a profile not named with
// --profile) AUDITFETCH_PROVIDER. Returns the name and where it came from.
std::optional<std::pair<std::string, std::string>> chosen_provider(const CommonOptions& common,
                                                                   bool named, const EnvLookup& env) {
  if (common.given.count("provider"))
    return std::pair{common.provider, std::string("-p")};
  if (!named)
    if (auto from_env = env("AUDITFETCH_PROVIDER"))
      return std::pair{*from_env, std::string("AUDITFETCH_PROVIDER")};
  return std::nullopt;
}

bool same_provider(const Registry& registry, const std::string& a, const std::string& b) {
  const auto* spec_a = registry.summary_if(a);
  const auto* spec_b = registry.summary_if(b);
  if (spec_a && spec_b)
    return spec_a == spec_b;
  return a == b;
}

// A profile made for another provider than the one chosen: one picked by default
// (default-profile, AUDITFETCH_PROFILE) is passed over with a -v line; one named with
// --profile is a usage error, since the two flags contradict each other.
void drop_foreign_profile(ConfigUse& use, const CommonOptions& common, const Registry& registry,
                          Environment& environment) {
  const auto* profile = use.profile();
  if (!profile || !profile->provider)
    return;
  const bool named = use.choice.source == "--profile";
  const auto chosen = chosen_provider(common, named, environment.env);
  if (!chosen || same_provider(registry, chosen->first, *profile->provider))
    return;
  if (named)
    throw Error(ErrorKind::usage,
                fmt::format("profile '{}' (from --profile) is for {}, but {} names {}", profile->name,
                            *profile->provider, chosen->second, chosen->first),
                fmt::format("drop {}, or pick a profile made for {} (--no-profile uses none)",
                            chosen->second, chosen->first));
  if (environment.diagnostics)
    environment.diagnostics->verbose(
        fmt::format("profile '{}' (from {}) is for {}, not {} ({}): not used", profile->name,
                    use.choice.source, *profile->provider, chosen->first, chosen->second));
  use.choice = {"", fmt::format("profile '{}' ({}) is for {}: passed over", profile->name,
                                use.choice.source, *profile->provider)};
}

} // namespace

ConfigUse use_config(CommonOptions& common, ListOptions* list, std::string* interval,
                     const Registry& registry, Environment& environment) {
  if (common.profile_names.size() > 1)
    throw Error(ErrorKind::usage,
                fmt::format("--profile is given {} times, but only list, tail and verify read several sources",
                            common.profile_names.size()),
                "give --profile once");
  const auto readers = readers_for(environment);
  ConfigUse use;
  use.location = locate_config(common.config_file, environment.env);
  use.config = load_config(use.location, registry, environment.env, readers.warn);
  if (common.no_profile) {
    if (common.profile_name)
      throw Error(ErrorKind::usage, "--profile and --no-profile contradict each other",
                  "give one of them");
    use.choice = {"", "--no-profile"};
  } else {
    use.choice = select_profile(use.config, use.location, common.profile_name, environment.env);
    drop_foreign_profile(use, common, registry, environment);
  }
  apply_profile(use.profile(), common, list, interval, readers, use.choice.source == "--profile");
  if (common.token_file)
    if (auto warning = exposure_warning(*common.token_file, "token file"))
      readers.warn(*warning);
  return use;
}

} // namespace auditfetch
