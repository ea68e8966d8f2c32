#pragma once
// `auditfetch get`: one activity by id.

#include "auditfetch/commands/environment.hpp"
#include "auditfetch/commands/options.hpp"
#include "auditfetch/provider/registry.hpp"

#include <string>

namespace auditfetch {

struct GetOptions {
  CommonOptions common;
  std::string id;
};

int run_get(const GetOptions& options, const Registry& registry, Environment& environment);

} // namespace auditfetch
