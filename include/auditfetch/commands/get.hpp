#pragma once
// `auditfetch get`: one activity by id.

#include "auditfetch/commands/environment.hpp"
#include "auditfetch/commands/options.hpp"
#include "auditfetch/provider/registry.hpp"

#include <string>
#include <vector>

namespace auditfetch {

struct GetOptions {
  CommonOptions common;
  std::vector<std::string> ids; // each fetched in turn
};

// Prints each activity; an id the provider does not know is reported on stderr and the others
// are still printed, then the exit code is 4 (not found).
int run_get(const GetOptions& options, const Registry& registry, Environment& environment);

} // namespace auditfetch
