#pragma once
// list --parallel: a listing's time window cut into slices that separate connections fetch at
// once, printed in the order one connection would have read them. Pure logic.

#include "auditfetch/provider/plan.hpp"
#include "auditfetch/query/query.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace auditfetch {

struct TimeSlice {
  Timestamp since; // included
  Timestamp until; // excluded
  bool operator==(const TimeSlice&) const = default;
};

// Cut [since, until) into at most `count` slices of equal length, inner boundaries on whole
// seconds (APIs that read seconds see the same boundaries), none shorter than a second, in
// the order `order` reads them: newest first puts the latest slice first. Together they
// cover the window exactly once.
std::vector<TimeSlice> split_window(Timestamp since, Timestamp until, std::size_t count, Order order);

// A slice turned out dense: its first page, which has more after it, spans only [oldest,
// newest] of it. Keep of the slice what that page holds whole (newest first: from the second
// after `oldest` on; oldest first: up to the second of `newest`), and cut the rest into up to
// `max_pieces` slices, in reading order, when it would take at least two more pages at the
// first page's pace; nullopt otherwise. The cut is on a whole second.
struct SliceSplit {
  TimeSlice kept;
  std::vector<TimeSlice> rest;
};
std::optional<SliceSplit> split_dense(const TimeSlice& slice, Timestamp oldest, Timestamp newest, Order order,
                                      std::size_t max_pieces);

// Why `plan` cannot be read in time slices, as a sentence for a notice; nullopt when it can.
// A slice's plan (`slice_plan`: the query bounded by one slice) must push both ends of its
// window to the server, the API must serve a defined order, and its pages must keep their
// query (not follow a checkpoint). `resumed`: the run starts from the API's saved next
// request; `limit`: --limit, which stops within the first pages.
std::optional<std::string> slicing_refusal(const ProviderSpec& spec, const ListPlan& plan,
                                           const ListPlan& slice_plan, bool resumed, bool with_state,
                                           bool limit);

// The plans of the slices of a listing: the query bounded to each slice, in reading order.
// `window` is the listing's [since, until). Empty (with `refusal` set) when it cannot be sliced.
struct SlicedPlan {
  std::vector<TimeSlice> slices;
  std::vector<ListPlan> plans;
  std::optional<std::string> refusal;
};
SlicedPlan plan_slices(const ProviderContext& context, const Query& query, const ListPlan& plan, Timestamp now,
                       std::size_t count, bool resumed, bool with_state);

} // namespace auditfetch
