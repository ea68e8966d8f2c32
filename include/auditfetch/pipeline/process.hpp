#pragma once
// One page's records → the activities to print, with the checkpoint's bookkeeping.

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/paging/page.hpp"
#include "auditfetch/pipeline/stages.hpp"
#include "auditfetch/query/query.hpp"
#include "auditfetch/state/checkpoint.hpp"

#include <cstddef>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace auditfetch {

struct Processed {
  // The activities to print, in page order; they point into the page.
  std::span<const Activity> matched() const { return {activities.data(), count}; }
  std::span<Activity> matched() { return {activities.data(), count}; }

  // The first `count` are this page's; the rest keep their strings' storage for the next page.
  std::vector<Activity> activities;
  std::size_t count = 0;
  // Records not seen before, matched or not: to be recorded in the checkpoint once the
  // page's output is delivered, never before.
  std::vector<std::pair<std::string, Timestamp>> fresh;
  // For each matched activity, how many of `fresh` come up to and including it: a batch that
  // ends inside the page (--batch) records those only.
  std::vector<std::size_t> fresh_through;
  std::optional<Timestamp> newest; // of the fresh records
  std::optional<Timestamp> oldest; // of every record mapped, seen before or not
  bool whole_page = true;          // false: the budget ran out before the page's end
};

// Map each record; skip those the checkpoint or `run_ids` (ids met earlier in this run, may
// be null) have seen; keep those the filter matches, at most `budget` (records after the
// budget is spent are left for a later run). Errors name the page and record.
Processed process_page(const Stages& stages, const LocalFilter& filter, const Page& page,
                       const Checkpoint* checkpoint, std::set<std::string>* run_ids,
                       std::size_t budget);
// The same into `out`, reusing the activities it holds from the page before.
void process_page(const Stages& stages, const LocalFilter& filter, const Page& page,
                  const Checkpoint* checkpoint, std::set<std::string>* run_ids,
                  std::size_t budget, Processed& out);

// Record delivered records in the checkpoint, moving its high-water mark when `advance`.
void record_delivered(Checkpoint& checkpoint, const Processed& processed, bool advance);

} // namespace auditfetch
