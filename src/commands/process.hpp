#pragma once
// One page's records → the activities to print, with the checkpoint's bookkeeping.

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/paging/paging.hpp"
#include "auditfetch/provider/plan.hpp"
#include "auditfetch/state/checkpoint.hpp"
#include "stages.hpp"

#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace auditfetch {

struct Processed {
  std::vector<Activity> matched; // in page order; they point into the page
  // Records not seen before, matched or not: to be recorded in the checkpoint once the
  // page's output is delivered, never before.
  std::vector<std::pair<std::string, Timestamp>> fresh;
  std::optional<Timestamp> newest; // of the fresh records
};

// Map each record; skip those the checkpoint or `run_ids` (ids met earlier in this run, may
// be null) have seen; keep those the filter matches, at most `budget` (records after the
// budget is spent are left for a later run). Errors name the page and record.
Processed process_page(const Stages& stages, const LocalFilter& filter, const Page& page,
                       const Checkpoint* checkpoint, std::set<std::string>* run_ids,
                       std::size_t budget);

// Record delivered records in the checkpoint, moving its high-water mark when `advance`.
void record_delivered(Checkpoint& checkpoint, const Processed& processed, bool advance);

} // namespace auditfetch
