#pragma once
// `auditfetch list`: the activities that match, streamed page by page.

#include "auditfetch/commands/environment.hpp"
#include "auditfetch/commands/options.hpp"
#include "auditfetch/provider/registry.hpp"
#include "auditfetch/query/query.hpp"

#include <map>
#include <optional>
#include <vector>
#include <string>

namespace auditfetch {

// A source of a merged listing: its name (the `source` key), the config profile that gives its
// provider, settings and credentials, and settings of its own (--source NAME=PROFILE,KEY=VALUE).
struct NamedSource {
  std::string name;
  std::string profile;
  std::map<std::string, std::string> settings;
};

struct ListOptions {
  CommonOptions common;
  QueryOptions query;
  std::optional<std::string> state; // checkpoint file
  std::string overlap = "5m";       // re-read before the checkpoint, for late events
  bool count = false;               // list --count: print only the number of activities
  // Delivery to a consumer (list and tail): each batch's NDJSON on the stdin of this shell
  // command, the checkpoint moved only after it exits 0.
  std::optional<std::string> exec;
  std::optional<std::size_t> batch;       // activities per batch; default: a page (tail: a poll)
  std::optional<int> exec_retries;        // tries after the first failed one; default 3
  std::optional<std::string> wait_lock;   // wait this long for another run's lock on --state
  std::size_t parallel = 1;               // list --parallel: time slices fetched at once

  // Several sources merged into one stream (list --profile A --profile B, --source): empty for
  // one source. --state-dir keeps one state file per source, SOURCE.json.
  std::vector<NamedSource> sources;
  std::optional<std::string> state_dir;
  // Set on each source of a merged run: its name (--explain shows it; the merge, not the
  // source, reports an empty listing), and whether --order is kept by reversing here, never
  // asked of the API (with --state-dir, so that each source keeps its API's continuation).
  std::string merged_source;
  bool order_here = false;
};

// Returns the exit code; failures are thrown as Error.
int run_list(const ListOptions& options, const Registry& registry, Environment& environment);

} // namespace auditfetch
