#pragma once
// A config profile in a run: chosen and applied beneath the flags and the environment before
// list, get, tail and config show/check.

#include "auditfetch/commands/environment.hpp"
#include "auditfetch/commands/list.hpp"
#include "auditfetch/config/config.hpp"

#include <optional>
#include <string>

namespace auditfetch {

struct ConfigUse {
  ConfigLocation location;
  std::optional<Config> config; // nullopt: no file at the default location
  ProfileChoice choice;         // choice.name empty: no profile

  const Profile* profile() const {
    return config && !choice.name.empty() ? config->find(choice.name) : nullptr;
  }
};

// Apply a profile (nullptr: none) beneath what the command line gave (common.given) and the
// environment: fills the options the flags left unset and common.profile (settings, base URL,
// token URL and credential sources, which resolve_context and resolve_credentials place after
// environment variables). The provider is -p, else AUDITFETCH_PROVIDER, else the profile's;
// a profile `named` with --profile puts its provider before AUDITFETCH_PROVIDER.
// `list` is null for `get` (no filters apply); `interval` is non-null for `tail` (which takes
// the profile's interval and ignores its until).
void apply_profile(const Profile* profile, CommonOptions& common, ListOptions* list,
                   std::string* interval, const SecretReaders& readers, bool named = false);

// Where an option's value comes from after apply_profile: "--KEY", "profile NAME (FILE:LINE)"
// or "default".
std::string option_source(const std::string& key, const CommonOptions& common,
                          const Profile* profile);

// Locate and load the config (--config, AUDITFETCH_CONFIG, default), choose the profile
// (--no-profile: none; --profile, AUDITFETCH_PROFILE, default-profile) and apply it beneath the
// flags and the environment. A profile picked by default whose provider is not the one -p or
// AUDITFETCH_PROVIDER names is passed over (a -v line says so); one named with --profile is
// then a usage error. Warns about a config or --token-file that group or others can read.
// Credential commands run later, only when their secret is needed.
ConfigUse use_config(CommonOptions& common, ListOptions* list, std::string* interval,
                     const Registry& registry, Environment& environment);

// How the binary reads credential sources: the environment, commands with a time limit
// (stopped by SIGINT), warnings as diagnostics.
SecretReaders readers_for(Environment& environment);

} // namespace auditfetch
