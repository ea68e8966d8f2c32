// config.toml: parsing with toml++ (the only user of it), locating, choosing a profile.
#include "auditfetch/http/rate_budget.hpp"
#include "auditfetch/config/config.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/util/suggest.hpp"
#include "auditfetch/time/time.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace auditfetch {
namespace {

// What a profile key holds; the key names are the long flag names.
enum class Type { string, list, integer, boolean, path, duration, time, format, rate };

struct KeySpec {
  const char* name;
  Type type;
};

constexpr KeySpec k_keys[] = {
    {"provider", Type::string},   {"base-url", Type::string},      {"token-url", Type::string},
    {"ca-file", Type::path},      {"timeout", Type::duration},     {"retries", Type::integer},
    {"output", Type::format},     {"fields", Type::list},          {"no-remote-data", Type::boolean},
    {"since", Type::time},        {"until", Type::time},           {"action", Type::list},
    {"actor-id", Type::string},   {"entity", Type::string},        {"entity-type", Type::string},
    {"filter", Type::list},       {"param", Type::list},           {"page-size", Type::integer},
    {"state", Type::path},        {"overlap", Type::duration},     {"interval", Type::duration},
    {"rate", Type::rate},
};
constexpr const char* k_credential_keys[] = {"token", "client-id", "client-secret"};
constexpr const char* k_formats[] = {"table", "json", "ndjson", "csv"};

std::string known_profiles(const Config& config) {
  const auto names = config.names();
  return names.empty() ? fmt::format("{} has no profiles", config.path)
                       : fmt::format("profiles in {}: {}", config.path, fmt::join(names, ", "));
}

const KeySpec* key_spec(std::string_view name) {
  for (const auto& key : k_keys)
    if (name == key.name)
      return &key;
  return nullptr;
}

bool is_credential_key(std::string_view name) {
  return std::find(std::begin(k_credential_keys), std::end(k_credential_keys), name) !=
         std::end(k_credential_keys);
}

std::string type_name(const toml::node& node) {
  switch (node.type()) {
  case toml::node_type::string:
    return "a string";
  case toml::node_type::integer:
    return "an integer";
  case toml::node_type::floating_point:
    return "a number";
  case toml::node_type::boolean:
    return "a boolean";
  case toml::node_type::array:
    return "an array";
  case toml::node_type::table:
    return "a table";
  default:
    return "a date or time";
  }
}

class Parser {
public:
  Parser(const std::string& path, const Registry& registry, const EnvLookup& env)
      : m_path(path), m_registry(registry), m_env(env) {}

  Config parse(std::string_view text) {
    toml::table root;
    try {
      root = toml::parse(text, std::string_view(m_path));
    } catch (const toml::parse_error& e) {
      throw Error(ErrorKind::usage,
                  fmt::format("{}:{}:{}: {}", m_path, e.source().begin.line,
                              e.source().begin.column, e.description()),
                  "fix the TOML syntax (https://toml.io)");
    }
    Config config;
    config.path = m_path;
    for (auto&& [key, node] : root) {
      const std::string name(key.str());
      if (name == "default-profile") {
        config.default_profile = string_of(node, name);
        config.default_profile_where = where(node);
      } else if (name == "profiles") {
        const auto* profiles = node.as_table();
        if (!profiles)
          fail(node, name, "must be a table of profiles ([profiles.NAME])");
        for (auto&& [profile_key, profile_node] : *profiles)
          config.profiles.push_back(profile(std::string(profile_key.str()), profile_node));
      } else {
        fail(key, name, "unknown key",
             suggestion(name, {"default-profile", "profiles"},
                        "the top level has default-profile and [profiles.NAME] tables"));
      }
    }
    if (config.default_profile && !config.find(*config.default_profile))
      throw Error(ErrorKind::usage,
                  fmt::format("{}: default-profile: there is no profile '{}'",
                              config.default_profile_where, *config.default_profile),
                  known_profiles(config));
    return config;
  }

private:
  template <class Located>
  std::string where(const Located& located) const {
    return fmt::format("{}:{}", m_path, located.source().begin.line);
  }

  template <class Located>
  [[noreturn]] void fail(const Located& located, const std::string& key, const std::string& problem,
                         const std::string& hint = {}) const {
    throw Error(ErrorKind::usage, fmt::format("{}: {}: {}", where(located), key, problem), hint);
  }

  static std::string suggestion(const std::string& name, const std::vector<std::string>& known,
                                const std::string& otherwise) {
    std::string dashed = name;
    std::replace(dashed.begin(), dashed.end(), '_', '-');
    if (dashed != name && std::find(known.begin(), known.end(), dashed) != known.end())
      return fmt::format("did you mean {}? keys are spelt like the flags", dashed);
    return otherwise;
  }

  std::string string_of(const toml::node& node, const std::string& key) const {
    if (const auto* text = node.as_string()) {
      if (text->get().empty())
        fail(node, key, "is empty");
      return text->get();
    }
    fail(node, key, fmt::format("must be a string, not {}", type_name(node)));
  }

  // ~/ from HOME; relative paths are relative to the config file's directory.
  std::string expand_path(const std::string& path, const toml::node& node,
                          const std::string& key) const {
    if (path == "~" || path.rfind("~/", 0) == 0) {
      auto home = m_env("HOME");
      if (!home)
        fail(node, key, "'~' needs HOME to be set");
      return *home + path.substr(1);
    }
    if (path.front() == '/')
      return path;
    const auto slash = m_path.rfind('/');
    return slash == std::string::npos ? path : m_path.substr(0, slash + 1) + path;
  }

  Profile profile(const std::string& name, const toml::node& node) {
    const auto key_path = "profiles." + name;
    const auto* table = node.as_table();
    if (!table)
      fail(node, key_path, "must be a table ([" + key_path + "])");
    Profile p;
    p.name = name;
    p.where = where(node);
    // The provider first: it decides which settings the profile may have.
    // Its summary: the settings are all a profile needs of most providers, and reading the
    // whole definition of every profile's provider would add to each start.
    const ProviderSummary* spec = nullptr;
    if (const auto* provider = table->get("provider")) {
      p.provider = string_of(*provider, key_path + ".provider");
      spec = m_registry.summary_if(*p.provider);
      if (!spec) {
        std::vector<std::string> names;
        for (const auto& s : m_registry.all())
          names.push_back(s.name);
        fail(*provider, key_path + ".provider", fmt::format("unknown provider '{}'", *p.provider),
             fmt::format("known providers: {}", fmt::join(names, ", ")));
      }
    }
    for (auto&& [key, value] : *table) {
      const std::string k(key.str());
      const auto full = key_path + "." + k;
      if (is_credential_key(k)) {
        p.credentials[k] = credential(value, full, k == "client-id");
      } else if (const auto* spec_of_key = key_spec(k)) {
        p.options[k] = option(value, full, spec_of_key->type);
      } else if (is_setting(k, spec)) {
        p.settings[k] = ProfileEntry{{scalar_text(value, full)}, where(value)};
      } else {
        fail(key, full, "unknown key", unknown_key_hint(k, spec));
      }
    }
    if (p.credentials.count("client-id") != p.credentials.count("client-secret"))
      fail(node, key_path,
           fmt::format("has {} but not {}", p.credentials.count("client-id") ? "client-id" : "client-secret",
                       p.credentials.count("client-id") ? "client-secret" : "client-id"),
           "OAuth2 client credentials need both the client id and the secret");
    const auto* whole = spec && p.credentials.count("client-id") ? &m_registry.find(spec->name) : nullptr;
    if (whole && std::none_of(whole->auth.begin(), whole->auth.end(), [](const auto& scheme) {
          return scheme->needs().kind == CredentialNeeds::Kind::client_pair;
        }))
      fail(*table->get("client-id"), key_path + ".client-id",
           fmt::format("{} does not use a client id and secret", spec->name),
           "give the profile a token source instead");
    return p;
  }

  bool is_setting(const std::string& name, const ProviderSummary* spec) const {
    if (spec)
      return spec->setting(name) != nullptr;
    for (const auto& s : m_registry.all())
      if (s.setting(name))
        return true;
    return false;
  }

  std::string unknown_key_hint(const std::string& name, const ProviderSummary* spec) const {
    std::vector<std::string> known;
    for (const auto& key : k_keys)
      known.emplace_back(key.name);
    known.insert(known.end(), std::begin(k_credential_keys), std::end(k_credential_keys));
    std::vector<std::string> settings;
    if (spec)
      for (const auto& s : spec->settings)
        settings.push_back(s.name);
    known.insert(known.end(), settings.begin(), settings.end());
    const auto otherwise =
        spec ? fmt::format("{} settings: {}; see 'man auditfetch', CONFIGURATION", spec->name,
                           settings.empty() ? "none" : fmt::format("{}", fmt::join(settings, ", ")))
             : std::string("see 'man auditfetch', CONFIGURATION, for the keys of a profile");
    return suggestion(name, known, otherwise);
  }

  // A provider setting: a string, or an integer or boolean written as TOML (aid = 1234).
  std::string scalar_text(const toml::node& node, const std::string& key) const {
    if (const auto* i = node.as_integer())
      return std::to_string(i->get());
    if (const auto* b = node.as_boolean())
      return b->get() ? "true" : "false";
    return string_of(node, key);
  }

  ProfileEntry option(const toml::node& node, const std::string& key, Type type) const {
    ProfileEntry entry;
    entry.where = where(node);
    const auto label = entry.where + ": " + key;
    switch (type) {
    case Type::string:
      entry.values.push_back(string_of(node, key));
      break;
    case Type::path:
      entry.values.push_back(expand_path(string_of(node, key), node, key));
      break;
    case Type::duration: {
      const auto text = string_of(node, key);
      parse_duration(text, label); // throws naming FILE:LINE: key
      entry.values.push_back(text);
      break;
    }
    case Type::rate: {
      const auto text = string_of(node, key);
      parse_rate(text, label); // throws naming FILE:LINE: key
      entry.values.push_back(text);
      break;
    }
    case Type::time: {
      const auto text = string_of(node, key);
      parse_time_arg(text, now_ms(), label);
      entry.values.push_back(text);
      break;
    }
    case Type::format: {
      const auto text = string_of(node, key);
      if (std::find(std::begin(k_formats), std::end(k_formats), text) == std::end(k_formats))
        fail(node, key, fmt::format("'{}' is not an output format", text),
             "use one of: table, json, ndjson, csv");
      entry.values.push_back(text);
      break;
    }
    case Type::integer: {
      const auto* i = node.as_integer();
      if (!i)
        fail(node, key, fmt::format("must be an integer, not {}", type_name(node)));
      if (i->get() < 0 || i->get() > 1000000)
        fail(node, key, fmt::format("{} is out of range", i->get()));
      entry.values.push_back(std::to_string(i->get()));
      break;
    }
    case Type::boolean: {
      const auto* b = node.as_boolean();
      if (!b)
        fail(node, key, fmt::format("must be true or false, not {}", type_name(node)));
      entry.values.push_back(b->get() ? "true" : "false");
      break;
    }
    case Type::list:
      if (const auto* array = node.as_array()) {
        for (const auto& item : *array)
          entry.values.push_back(string_of(item, key));
      } else if (node.is_string()) {
        entry.values.push_back(string_of(node, key));
      } else {
        fail(node, key, fmt::format("must be a string or an array of strings, not {}", type_name(node)));
      }
      break;
    }
    return entry;
  }

  CredentialSpec credential(const toml::node& node, const std::string& key, bool plain_allowed) const {
    CredentialSpec spec;
    spec.where = where(node);
    if (plain_allowed && node.is_string()) {
      spec.kind = CredentialSpec::Kind::literal;
      spec.value = string_of(node, key);
      return spec;
    }
    const auto* table = node.as_table();
    if (!table)
      fail(node, key,
           node.is_string() ? "a secret is not written in the config file"
                            : fmt::format("must be a table, not {}", type_name(node)),
           "write { env = \"VAR\" }, { file = \"PATH\" } or { command = [\"PROGRAM\", \"ARG\"] }");
    int sources = 0;
    const toml::node* timeout = nullptr;
    for (auto&& [k, value] : *table) {
      const std::string name(k.str());
      const auto full = key + "." + name;
      if (name == "env") {
        spec.kind = CredentialSpec::Kind::env;
        spec.value = string_of(value, full);
        ++sources;
      } else if (name == "file") {
        spec.kind = CredentialSpec::Kind::file;
        spec.value = expand_path(string_of(value, full), value, full);
        ++sources;
      } else if (name == "command") {
        spec.kind = CredentialSpec::Kind::command;
        const auto* array = value.as_array();
        if (!array || array->empty())
          fail(value, full, "must be a non-empty array: the program and its arguments",
               "the command runs without a shell: command = [\"pass\", \"show\", \"pingone\"]");
        for (const auto& item : *array)
          spec.argv.push_back(string_of(item, full));
        if (spec.argv[0].rfind("~/", 0) == 0)
          spec.argv[0] = expand_path(spec.argv[0], value, full);
        ++sources;
      } else if (name == "timeout") {
        timeout = &value;
      } else {
        fail(k, full, "unknown key", "a credential source has env, file, or command (and timeout)");
      }
    }
    if (sources != 1)
      fail(node, key, sources == 0 ? "names no source" : "names more than one source",
           "write exactly one of { env = \"VAR\" }, { file = \"PATH\" }, { command = [...] }");
    if (timeout) {
      if (spec.kind != CredentialSpec::Kind::command)
        fail(*timeout, key + ".timeout", "applies only to a command");
      const auto text = string_of(*timeout, key + ".timeout");
      spec.timeout = parse_duration(text, where(*timeout) + ": " + key + ".timeout");
      if (spec.timeout.count() <= 0)
        fail(*timeout, key + ".timeout", "must be more than 0");
    }
    return spec;
  }

  const std::string& m_path;
  const Registry& m_registry;
  const EnvLookup& m_env;
};

} // namespace

std::string CredentialSpec::describe() const {
  switch (kind) {
  case Kind::literal:
    return "the config file";
  case Kind::env:
    return "env " + value;
  case Kind::file:
    return "file " + value;
  case Kind::command:
    return "command " + argv.at(0);
  }
  return {};
}

std::string Profile::source_of(const std::string& key) const {
  std::string at = where;
  if (auto it = options.find(key); it != options.end())
    at = it->second.where;
  else if (auto it = settings.find(key); it != settings.end())
    at = it->second.where;
  else if (auto it = credentials.find(key); it != credentials.end())
    at = it->second.where;
  return fmt::format("profile {} ({})", name, at);
}

const Profile* Config::find(std::string_view name) const {
  for (const auto& p : profiles)
    if (p.name == name)
      return &p;
  return nullptr;
}

std::vector<std::string> Config::names() const {
  std::vector<std::string> names;
  for (const auto& p : profiles)
    names.push_back(p.name);
  return names;
}

Config parse_config(std::string_view text, const std::string& path, const Registry& registry,
                    const EnvLookup& env) {
  auto config = Parser(path, registry, env).parse(text);
  std::sort(config.profiles.begin(), config.profiles.end(),
            [](const Profile& a, const Profile& b) { return a.name < b.name; });
  return config;
}

ConfigLocation locate_config(const std::optional<std::string>& flag, const EnvLookup& env) {
  if (flag) {
    if (flag->empty())
      throw Error(ErrorKind::usage, "--config: the file name is empty");
    return {*flag, "--config", true};
  }
  if (auto from_env = env("AUDITFETCH_CONFIG"))
    return {*from_env, "AUDITFETCH_CONFIG", true};
  if (auto xdg = env("XDG_CONFIG_HOME"); xdg && xdg->front() == '/')
    return {*xdg + "/auditfetch/config.toml", "default location", false};
  if (auto home = env("HOME"))
    return {*home + "/.config/auditfetch/config.toml", "default location", false};
  return {"", "default location", false};
}

std::optional<std::string> exposure_warning(const std::string& path, std::string_view what) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
    return std::nullopt;
  if ((info.st_mode & (S_IRGRP | S_IROTH)) == 0)
    return std::nullopt;
  return fmt::format("{} {} is readable by group or others (mode {:04o}): chmod 600 '{}'", what,
                     path, info.st_mode & 07777, path);
}

std::optional<Config> load_config(const ConfigLocation& location, const Registry& registry,
                                  const EnvLookup& env, const Warn& warn) {
  if (location.path.empty())
    return std::nullopt;
  std::ifstream in(location.path, std::ios::binary);
  if (!in) {
    const int error = errno;
    if (!location.required && error == ENOENT)
      return std::nullopt;
    throw Error(ErrorKind::usage,
                fmt::format("cannot read config file '{}' (from {}): {}", location.path,
                            location.source, std::strerror(error)),
                location.required ? "check the path given to --config or AUDITFETCH_CONFIG"
                                  : "check its permissions");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (warn)
    if (auto warning = exposure_warning(location.path, "config file"))
      warn(*warning);
  return parse_config(text.str(), location.path, registry, env);
}

ProfileChoice select_profile(const std::optional<Config>& config, const ConfigLocation& location,
                             const std::optional<std::string>& flag, const EnvLookup& env) {
  ProfileChoice choice;
  if (flag) {
    choice = {*flag, "--profile"};
  } else if (auto from_env = env("AUDITFETCH_PROFILE")) {
    choice = {*from_env, "AUDITFETCH_PROFILE"};
  } else if (config && config->default_profile) {
    return {*config->default_profile, "default-profile, " + config->default_profile_where};
  } else {
    return {};
  }
  if (!config)
    throw Error(ErrorKind::usage,
                fmt::format("profile '{}' (from {}): there is no config file{}", choice.name,
                            choice.source,
                            location.path.empty() ? std::string() : " at " + location.path),
                "create it (see 'man auditfetch', CONFIGURATION) or pass --config FILE");
  if (!config->find(choice.name))
    throw Error(ErrorKind::usage,
                fmt::format("no profile '{}' (from {}) in {}{}", choice.name, choice.source,
                            config->path, did_you_mean(choice.name, config->names())),
                known_profiles(*config));
  return choice;
}

} // namespace auditfetch
