#pragma once
// The config file in a run: loading it and applying the chosen profile before list/get/tail,
// and the `config show`, `config check` and `config profiles` commands.

#include "auditfetch/cli/options.hpp"
#include "auditfetch/commands/commands.hpp"
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

// Locate and load the config (--config, AUDITFETCH_CONFIG, default), choose the profile
// (--profile, AUDITFETCH_PROFILE, default-profile) and apply it beneath the flags and the
// environment (see apply_profile). Warns about a config or --token-file that group or others
// can read. Credential commands run later, only when their secret is needed.
ConfigUse use_config(CommonOptions& common, ListOptions* list, std::string* interval,
                     const Registry& registry, Environment& environment);

// `config show`: each resolved setting with its source, secrets masked; runs nothing.
int run_config_show(ListOptions& options, const Registry& registry, Environment& environment);

// `config check`: resolve the credentials, request a token (client credentials) and list one
// activity; each step reported on stdout, a failure thrown as Error (exit 1, 2 or 3).
int run_config_check(ListOptions& options, const Registry& registry, Environment& environment);

// `config profiles`: the profile names, one a line; nothing when there is no config file.
int run_config_profiles(const CommonOptions& options, const Registry& registry,
                        Environment& environment);

} // namespace auditfetch
