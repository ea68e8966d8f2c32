#pragma once
// `auditfetch verify`: are the activities of a window in NDJSON files auditfetch printed
// earlier, each exactly once? The window is listed again, with the same filters, and compared
// with the files by id.

#include "auditfetch/commands/environment.hpp"
#include "auditfetch/commands/list.hpp"
#include "auditfetch/provider/registry.hpp"

#include <string>
#include <vector>

namespace auditfetch {

struct VerifyOptions {
  ListOptions list;                // common options and filters (--limit, --state are not offered)
  std::vector<std::string> files;  // none, or "-": standard input
  bool print_missing = false;      // the missing activities to stdout, as NDJSON
};

// Returns 0 when every activity the API serves in the window is in the files exactly once;
// throws Error(incomplete) (exit 5) when one is missing or repeated, other failures as Error.
int run_verify(const VerifyOptions& options, const Registry& registry, Environment& environment);

} // namespace auditfetch
