#pragma once
// `auditfetch list`: the activities that match, streamed page by page.

#include "auditfetch/commands/environment.hpp"
#include "auditfetch/commands/options.hpp"
#include "auditfetch/provider/registry.hpp"
#include "auditfetch/query/query.hpp"

#include <optional>
#include <string>

namespace auditfetch {

struct ListOptions {
  CommonOptions common;
  QueryOptions query;
  std::optional<std::string> state; // checkpoint file
  std::string overlap = "5m";       // re-read before the checkpoint, for late events
};

// Returns the exit code; failures are thrown as Error.
int run_list(const ListOptions& options, const Registry& registry, Environment& environment);

} // namespace auditfetch
