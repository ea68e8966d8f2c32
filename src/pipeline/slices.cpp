#include "auditfetch/pipeline/slices.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace auditfetch {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

bool has(const std::vector<std::string>& names, const char* name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

} // namespace

std::vector<TimeSlice> split_window(Timestamp since, Timestamp until, std::size_t count, Order order) {
  std::vector<TimeSlice> slices;
  if (until <= since || count == 0)
    return slices;
  const auto length = std::chrono::duration_cast<milliseconds>(until - since);
  const auto whole = static_cast<std::size_t>(std::max<long long>(1, length.count() / 1000));
  count = std::min(count, whole);
  Timestamp from = since;
  for (std::size_t i = 1; i <= count; ++i) {
    Timestamp to = until;
    if (i < count) {
      to = since + length * static_cast<long long>(i) / static_cast<long long>(count);
      to = std::chrono::floor<seconds>(to);
      if (to <= from)
        continue; // too short to hold a whole-second boundary: merged with the next
    }
    slices.push_back({from, to});
    from = to;
  }
  if (order == Order::newest_first)
    std::reverse(slices.begin(), slices.end());
  return slices;
}

std::optional<SliceSplit> split_dense(const TimeSlice& slice, Timestamp oldest, Timestamp newest, Order order,
                                      std::size_t max_pieces) {
  const bool newest_first = order == Order::newest_first;
  const Timestamp cut = newest_first ? std::chrono::floor<seconds>(oldest) + seconds{1}
                                     : std::chrono::floor<seconds>(newest);
  if (cut <= slice.since || cut >= slice.until)
    return std::nullopt;
  const auto covered = newest_first ? slice.until - cut : cut - slice.since;
  const auto remaining = newest_first ? cut - slice.since : slice.until - cut;
  const auto pages_left = static_cast<std::size_t>(remaining / covered);
  if (pages_left < 2 || max_pieces < 2)
    return std::nullopt;
  SliceSplit split;
  split.kept = newest_first ? TimeSlice{cut, slice.until} : TimeSlice{slice.since, cut};
  split.rest = newest_first ? split_window(slice.since, cut, std::min(pages_left, max_pieces), order)
                            : split_window(cut, slice.until, std::min(pages_left, max_pieces), order);
  return split;
}

std::optional<std::string> slicing_refusal(const ProviderSpec& spec, const ListPlan& plan,
                                           const ListPlan& slice_plan, bool resumed, bool with_state,
                                           bool limit) {
  if (limit)
    return std::string("--limit stops within the first pages, which are read in order");
  if (resumed)
    return fmt::format("the run resumes from the next request {} saved, one sequence of pages", spec.name);
  if (spec.list.resume && with_state)
    return fmt::format("{} keeps a resume point in the state file, which belongs to one sequence of pages",
                       spec.name);
  if (spec.list.paging->query_on_first_page_only())
    return fmt::format("{} pages follow a checkpoint that ignores time filters", spec.name);
  if (plan.order == Order::unspecified)
    return fmt::format("{} serves no defined order, so slices could not be printed in sequence", spec.name);
  if (!plan.effective_since)
    return std::string("the window has no start to divide (give --since)");
  if (!has(slice_plan.pushed, "since") || !has(slice_plan.pushed, "until"))
    return fmt::format("{} cannot bound both ends of a time window on the server", spec.name);
  return std::nullopt;
}

SlicedPlan plan_slices(const ProviderContext& context, const Query& query, const ListPlan& plan, Timestamp now,
                       std::size_t count, bool resumed, bool with_state) {
  SlicedPlan sliced;
  const auto& spec = *context.spec;
  const Timestamp since = plan.effective_since.value_or(Timestamp{});
  // One millisecond past `now`, as the plan's own default end: an activity of this very
  // millisecond is included.
  const Timestamp until = plan.effective_until.value_or(now + milliseconds{1});
  const auto bounded = [&](const TimeSlice& slice) {
    Query part = query;
    part.since = slice.since;
    part.until = slice.until;
    return plan_list(context, part, now);
  };
  const auto first = bounded({since, until});
  sliced.refusal = slicing_refusal(spec, plan, first, resumed, with_state, query.limit.has_value());
  if (sliced.refusal)
    return sliced;
  sliced.slices = split_window(since, until, count, plan.order);
  for (const auto& slice : sliced.slices)
    sliced.plans.push_back(bounded(slice));
  return sliced;
}

} // namespace auditfetch
