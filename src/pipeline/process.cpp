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
  out.fresh_through.clear();
  out.newest.reset();
  out.oldest.reset();
  out.whole_page = true;
  // One activity from a record (or from one element of the array it fans out into).
  const auto take = [&](JsonValue record, const MappingItem* item, std::size_t number) {
    // Mapped into the next free slot, which only a match takes.
    if (out.count == out.activities.size())
      out.activities.emplace_back();
    auto& activity = out.activities[out.count];
    try {
      map_record(stages.context, record, stages.map_options, activity, item);
    } catch (const Error& e) {
      throw e.with_context(item ? fmt::format("page {}: record {}: item {}", page.number, number, item->index + 1)
                                : fmt::format("page {}: record {}", page.number, number));
    }
    if (activity.created_at && (!out.oldest || *activity.created_at < *out.oldest))
      out.oldest = activity.created_at;
    // Outside [--since, --until): not this run's to remember (a later run with a later --until
    // prints it, and with --parallel the neighbouring slice does), and not a time the
    // checkpoint may move to.
    if (activity.created_at && ((filter.until && *activity.created_at >= *filter.until) ||
                                (filter.since && *activity.created_at < *filter.since)))
      return;
    // Without a checkpoint or run to de-duplicate against there is nothing to remember.
    if (activity.id && (checkpoint || run_ids)) {
      if ((checkpoint && checkpoint->has_seen(*activity.id)) ||
          (run_ids && !run_ids->insert(*activity.id).second))
        return;
      if (activity.created_at)
        out.fresh.emplace_back(*activity.id, *activity.created_at);
    }
    if (activity.created_at && (!out.newest || *activity.created_at > *out.newest))
      out.newest = activity.created_at;
    if (filter.matches(activity)) {
      ++out.count;
      out.fresh_through.push_back(out.fresh.size());
    }
  };
  const auto& each = stages.spec().mapping.each;
  const auto& records = *page.records;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (out.count >= budget) {
      out.whole_page = false;
      break;
    }
    if (!each) {
      take(records[i], nullptr, i + 1);
      continue;
    }
    const auto items = records[i].is_object() ? find_pointer(records[i], each->pointer) : std::nullopt;
    if (!items || !items->is_array())
      throw Error(ErrorKind::remote, fmt::format("page {}: record {}: \"{}\" is not an array",
                                                 page.number, i + 1, each->pointer));
    const simdjson::dom::array array = items->get_array().value_unsafe();
    std::size_t index = 0;
    for (const auto value : array) {
      if (out.count >= budget) {
        out.whole_page = false;
        break;
      }
      const MappingItem item{value, index++};
      take(records[i], &item, i + 1);
    }
  }
}

void record_delivered(Checkpoint& checkpoint, const Processed& processed, bool advance) {
  for (const auto& [id, at] : processed.fresh)
    checkpoint.record(id, at, advance);
}

} // namespace auditfetch
