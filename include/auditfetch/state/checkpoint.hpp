#pragma once
// Where the last run stopped: the newest time printed and the ids printed near it, so that a
// run can start from an inclusive bound (minus an overlap for late events) and skip what was
// already printed.

#include "auditfetch/time/time.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace auditfetch {

// Where the API said a later listing may continue (its next request), and the query it
// belongs to: a run with other filters does not resume from it.
struct ResumePoint {
  std::string method;
  std::string url;
  std::string body;
  std::string query; // fingerprint of the filters and settings
};

struct Checkpoint {
  std::string provider;
  std::map<std::string, std::string> account; // the provider's account settings
  std::optional<Timestamp> high_water;        // newest created_at processed
  // Where the first run started: the overlap never reaches back before what was asked for.
  std::optional<Timestamp> floor;
  std::map<std::string, Timestamp> seen;       // ids processed at or after high_water - overlap
  std::optional<ResumePoint> resume;           // providers whose API offers one

  bool has_seen(const std::string& id) const { return seen.count(id) > 0; }

  // Remember a processed activity; `advance` false keeps high_water (used while an API that is
  // not oldest-first has older pages still to come).
  void record(const std::string& id, Timestamp at, bool advance = true);

  // Move the high-water mark forward to `at` (never back).
  void record_high_water(Timestamp at) {
    if (!high_water || at > *high_water)
      high_water = at;
  }

  // Forget ids older than high_water - overlap (and than keep_from, the oldest record of a
  // page a resume point reads again): no later query reaches back to them.
  void prune(std::chrono::milliseconds overlap, std::optional<Timestamp> keep_from = std::nullopt);

  // Where the next run starts (inclusive): high_water - overlap, not before floor; nullopt
  // without a high-water mark.
  std::optional<Timestamp> resume_from(std::chrono::milliseconds overlap) const;
};

// Read a state file; nullopt when it does not exist. Throws Error(usage) naming the file when
// it is unreadable or corrupt (never silently starts over), or when it belongs to another
// provider or account.
std::optional<Checkpoint> load_checkpoint(const std::string& path, const std::string& provider,
                                          const std::map<std::string, std::string>& account);

// Write atomically: a temporary file (mode 0600) in the same directory, fsync, rename over
// the path (a symlink there is replaced, never followed), fsync of the directory.
// Throws Error(usage) naming the file on failure.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);

} // namespace auditfetch
