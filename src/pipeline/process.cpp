#include "auditfetch/pipeline/process.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/mapping/mapping.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace auditfetch {

Processed process_page(const Stages& stages, const LocalFilter& filter, const Page& page,
                       const Checkpoint* checkpoint, std::set<std::string>* run_ids,
                       std::size_t budget) {
  Processed out;
  process_page(stages, filter, page, checkpoint, run_ids, budget, out);
  return out;
}

void process_page(const Stages& stages, const LocalFilter& filter, const Page& page,
                  const Checkpoint* checkpoint, std::set<std::string>* run_ids,
                  std::size_t budget, Processed& out) {
  out.count = 0;
  out.fresh.clear();
  out.newest.reset();
  const auto& records = *page.records;
  for (std::size_t i = 0; i < records.size() && out.count < budget; ++i) {
    // Mapped into the next free slot, which only a match takes.
    if (out.count == out.activities.size())
      out.activities.emplace_back();
    auto& activity = out.activities[out.count];
    try {
      map_record(stages.context, records[i], stages.map_options, activity);
    } catch (const Error& e) {
      throw e.with_context(fmt::format("page {}: record {}", page.number, i + 1));
    }
    // Without a checkpoint or run to de-duplicate against there is nothing to remember.
    if (activity.id && (checkpoint || run_ids)) {
      if ((checkpoint && checkpoint->has_seen(*activity.id)) ||
          (run_ids && !run_ids->insert(*activity.id).second))
        continue;
      if (activity.created_at)
        out.fresh.emplace_back(*activity.id, *activity.created_at);
    }
    if (activity.created_at && (!out.newest || *activity.created_at > *out.newest))
      out.newest = activity.created_at;
    if (filter.matches(activity))
      ++out.count;
  }
}

void record_delivered(Checkpoint& checkpoint, const Processed& processed, bool advance) {
  for (const auto& [id, at] : processed.fresh)
    checkpoint.record(id, at, advance);
}

} // namespace auditfetch
