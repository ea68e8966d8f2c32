#pragma once
// `auditfetch config show|check|profiles`.

#include "auditfetch/commands/environment.hpp"
#include "auditfetch/commands/list.hpp"
#include "auditfetch/provider/registry.hpp"

namespace auditfetch {

// `config show`: each resolved setting with its source, secrets masked; runs nothing.
int run_config_show(ListOptions& options, const Registry& registry, Environment& environment);

// `config check`: resolve the credentials, request a token (client credentials) and list one
// activity; each step reported on stdout, a failure thrown as Error (exit 1, 2 or 3).
int run_config_check(ListOptions& options, const Registry& registry, Environment& environment);

// `config profiles`: the profile names, one a line; nothing when there is no config file.
int run_config_profiles(const CommonOptions& options, const Registry& registry,
                        Environment& environment);

} // namespace auditfetch
