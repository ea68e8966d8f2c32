#pragma once
// `auditfetch providers [NAME]`: the providers, or what one of them supports.

#include "auditfetch/commands/environment.hpp"
#include "auditfetch/provider/registry.hpp"

#include <optional>
#include <string>
#include <vector>

namespace auditfetch {

struct ProvidersOptions {
  std::optional<std::string> name;
  bool names_only = false;
  std::vector<std::string> providers_dirs;
};

// An order in words ("newest first"), as `providers NAME` and --explain show it.
const char* order_name(Order order);

int run_providers(const ProvidersOptions& options, const Registry& registry,
                  Environment& environment);

} // namespace auditfetch
