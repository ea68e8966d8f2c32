// A chosen profile beneath the command line and the environment.
#include "auditfetch/config/config.hpp"

#include "auditfetch/auth/auth.hpp"
#include "auditfetch/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace auditfetch {
namespace {

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::size_t to_size(const std::string& text) { return static_cast<std::size_t>(std::stoull(text)); }

} // namespace

std::string read_credential(const CredentialSpec& spec, const std::string& profile,
                            const std::string& key, const SecretReaders& readers) {
  const auto what = fmt::format("{}: {} of profile {}", spec.where, key, profile);
  switch (spec.kind) {
  case CredentialSpec::Kind::literal:
    return spec.value;
  case CredentialSpec::Kind::env: {
    auto value = readers.env(spec.value);
    if (!value || trim(*value).empty())
      throw Error(ErrorKind::usage, fmt::format("{}: {} is not set", what, spec.value),
                  "set it, or give the profile another source");
    return trim(*value);
  }
  case CredentialSpec::Kind::file:
    if (readers.warn)
      if (auto warning = exposure_warning(spec.value, "token file"))
        readers.warn(*warning);
    return read_secret_file(spec.value, what);
  case CredentialSpec::Kind::command: {
    auto secret = trim(readers.run_command(spec, what));
    if (secret.empty())
      throw Error(ErrorKind::usage,
                  fmt::format("{}: command '{}' printed nothing", what, spec.argv.at(0)),
                  "it must print the secret on stdout");
    return secret;
  }
  }
  return {};
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
      list->since = v;
    if (auto v = first("until"); v && !interval) // tail has no end
      list->until = v;
    if (const auto* v = value("action"))
      list->actions = *v;
    if (auto v = first("actor-id"))
      list->actor_id = v;
    if (auto v = first("entity"))
      list->entity = v;
    if (auto v = first("entity-type"))
      list->entity_type = v;
    if (const auto* v = value("filter"))
      list->filters = *v;
    if (const auto* v = value("param"))
      list->params = *v;
    if (auto v = first("page-size"))
      list->page_size = to_size(*v);
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

} // namespace auditfetch
