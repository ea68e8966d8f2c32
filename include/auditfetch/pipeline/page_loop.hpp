#pragma once
// The one page loop of list, tail and verify: the listing's pages in order, each mapped,
// de-duplicated and filtered, handed to the command as it arrives.

#include "auditfetch/paging/page.hpp"
#include "auditfetch/pipeline/process.hpp"
#include "auditfetch/pipeline/slices.hpp"
#include "auditfetch/pipeline/stages.hpp"
#include "auditfetch/provider/plan.hpp"
#include "auditfetch/state/checkpoint.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace auditfetch {

struct PageLoopOptions {
  // Stop after this many matching activities; no page is requested once they are in hand.
  std::optional<std::size_t> limit;
  // Fetch the next page on a thread of its own while this one is written.
  bool background = false;
  // list --parallel: the listing's time slices (pipeline/slices.hpp), read over `connections`
  // connections at once and handed on in order, each page filtered by its slice's plan. Pages
  // read ahead are held up to `slice_memory` bytes. Empty: one connection, page after page.
  std::vector<TimeSlice> slice_windows;
  std::vector<ListPlan> slices;
  std::size_t connections = 1;
  std::size_t slice_memory = 32u << 20;
};

struct PageLoopResult {
  std::size_t matched = 0;
  bool complete = false; // the listing ran to its end: not cut by the limit, on_page or a signal
};

// Called with each page and what it brought; false stops the listing. It may take the page
// and the matched activities (they point into the page); the loop reuses `processed`.
using OnPage = std::function<bool(Page& page, Processed& processed)>;

// Run the listing `plan` describes, from `first` (plan.first, or a resume point). Records
// `checkpoint` or `run_ids` (either may be null) have seen are skipped. Throws Error naming
// the page; returns early, incomplete, when interrupted.
PageLoopResult run_pages(Stages& stages, const ListPlan& plan, const Query& query, Timestamp now,
                         HttpRequest first, const Checkpoint* checkpoint,
                         std::set<std::string>* run_ids, const PageLoopOptions& options,
                         const OnPage& on_page);

} // namespace auditfetch
