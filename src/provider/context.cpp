#include "auditfetch/provider/context.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/http/url.hpp"
#include "auditfetch/util/text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>


namespace auditfetch {
namespace {

std::string choice_names(const SettingSpec& setting) {
  std::vector<std::string> names;
  for (const auto& [name, vars] : setting.choices)
    names.push_back(name);
  return fmt::format("{}", fmt::join(names, ", "));
}

const std::string* profile_setting(const ProfileLayer* profile, const std::string& name) {
  if (!profile)
    return nullptr;
  const auto it = profile->settings.find(name);
  return it == profile->settings.end() ? nullptr : &it->second;
}

} // namespace

ProviderContext resolve_context(const ProviderSpec& spec,
                                const std::map<std::string, std::string>& flag_settings,
                                const std::optional<std::string>& base_url_flag,
                                const EnvLookup& env, const ProfileLayer* profile) {
  ProviderContext context;
  context.spec = &spec;
  for (const auto& [name, value] : flag_settings)
    if (!spec.setting(name))
      throw Error(ErrorKind::usage,
                  fmt::format("--{} does not apply to provider {}", name, spec.name),
                  fmt::format("see 'auditfetch providers {}' for its settings", spec.name));
  if (profile)
    for (const auto& [name, value] : profile->settings)
      if (!spec.setting(name))
        throw Error(ErrorKind::usage,
                    fmt::format("{}: {} does not apply to provider {} (profile {})",
                                profile->where.count(name) ? profile->where.at(name) : "config",
                                name, spec.name, profile->name),
                    fmt::format("see 'auditfetch providers {}' for its settings, or use a "
                                "profile made for {}", spec.name, spec.name));

  for (const auto& setting : spec.settings) {
    std::optional<std::string> value;
    std::string source = "--" + setting.name;
    if (auto it = flag_settings.find(setting.name); it != flag_settings.end()) {
      value = it->second;
    } else if (auto from_env = first_env(setting.env, env)) {
      source = from_env->first;
      value = from_env->second;
    } else if (const auto* from_profile = profile_setting(profile, setting.name)) {
      source = setting.name + " in " + profile->source_of(setting.name);
      value = *from_profile;
    } else {
      value = setting.default_value;
      source = "default";
    }
    if (!value) {
      if (!setting.required)
        continue;
      const auto how = setting.env.empty()
                           ? fmt::format("pass --{}", setting.name)
                           : fmt::format("pass --{} or set {}", setting.name,
                                         fmt::format("{}", fmt::join(setting.env, " or ")));
      throw Error(ErrorKind::usage, fmt::format("{}: --{} is required", spec.name, setting.name),
                  how);
    }
    if (!setting.choices.empty()) {
      auto choice = setting.choices.find(ascii_lower(*value));
      if (choice == setting.choices.end())
        throw Error(ErrorKind::usage,
                    fmt::format("{}: '{}' is not a valid value for {}", spec.name, *value, source),
                    fmt::format("use one of: {}", choice_names(setting)));
      value = choice->first;
      for (const auto& [var, text] : choice->second)
        context.vars[var] = text;
    }
    if (value->empty())
      throw Error(ErrorKind::usage, fmt::format("{}: {} is empty", spec.name, source));
    context.vars[setting.name] = *value;
    context.sources[setting.name] = source;
  }

  for (const auto& group : spec.one_of) {
    std::vector<std::string> set;
    for (const auto& name : group)
      if (context.vars.count(name))
        set.push_back("--" + name);
    if (set.size() != 1) {
      std::vector<std::string> flags;
      for (const auto& name : group)
        flags.push_back("--" + name);
      throw Error(ErrorKind::usage,
                  set.empty() ? fmt::format("{}: one of {} is required", spec.name, fmt::join(flags, ", "))
                              : fmt::format("{}: {} exclude each other", spec.name, fmt::join(set, " and ")),
                  fmt::format("give exactly one of {}", fmt::join(flags, ", ")));
    }
  }

  if (base_url_flag) {
    context.base_url = *base_url_flag;
    context.base_url_source = "--base-url";
  } else if (auto from_env = env("AUDITFETCH_BASE_URL")) {
    context.base_url = *from_env;
    context.base_url_source = "AUDITFETCH_BASE_URL";
  } else if (profile && profile->base_url) {
    context.base_url = *profile->base_url;
    context.base_url_source = "base-url in " + profile->source_of("base-url");
  } else {
    context.base_url = expand_template(spec.base_url, context.vars, Encoding::none);
    context.base_url_source = "definition";
  }
  origin_of(context.base_url, context.base_url_source);
  while (!context.base_url.empty() && context.base_url.back() == '/')
    context.base_url.pop_back();
  return context;
}

std::map<std::string, std::string> account_of(const ProviderContext& context) {
  std::map<std::string, std::string> account;
  for (const auto& setting : context.spec->settings)
    if (setting.account)
      if (auto it = context.vars.find(setting.name); it != context.vars.end())
        account[setting.name] = it->second;
  return account;
}

} // namespace auditfetch
