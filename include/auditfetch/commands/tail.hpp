#pragma once
// `auditfetch tail`: what exists from --since, then new activities as they appear.

#include "auditfetch/commands/list.hpp"

#include <string>

namespace auditfetch {

struct TailOptions {
  ListOptions list;
  std::string interval = "30s";
  std::string lookback = "10m"; // where tail starts without --since or a checkpoint
  // Several sources: the longest an activity is held for the others to poll past its time;
  // default two intervals (the longest of the sources').
  std::optional<std::string> max_delay;
};

// Polls until SIGINT (exit 130) or SIGTERM (exit 0); failures are thrown as Error.
int run_tail(const TailOptions& options, const Registry& registry, Environment& environment);

} // namespace auditfetch
