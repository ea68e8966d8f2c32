#include "auditfetch/pipeline/page_loop.hpp"

#include "auditfetch/paging/listing.hpp"
#include "auditfetch/util/interrupt.hpp"
#include "pipeline/page_stream.hpp"
#include "pipeline/sliced_pages.hpp"

#include <limits>

namespace auditfetch {
namespace {

PageLoopResult run_slices(Stages& stages, const Query& query, Timestamp now, const Checkpoint* checkpoint,
                          std::set<std::string>* run_ids, const PageLoopOptions& options, const OnPage& on_page) {
  PageLoopResult result;
  Processed processed;
  SlicedPages pages(stages, options.slice_windows, options.slices, query, now, options.connections,
                    options.slice_memory);
  struct CancelOnSignal {
    SlicedPages& pages;
    ~CancelOnSignal() {
      if (interrupted())
        pages.cancel();
    }
  } cancel_on_signal{pages};
  for (;;) {
    auto next = pages.next(interrupted);
    if (!next) {
      result.complete = !interrupted();
      return result;
    }
    // Each slice's own window filters its pages: a record on a boundary belongs to one.
    process_page(stages, *next->filter, next->page, checkpoint, run_ids,
                 std::numeric_limits<std::size_t>::max(), processed);
    result.matched += processed.count;
    if (!on_page(next->page, processed) || interrupted())
      return result;
  }
}

} // namespace

PageLoopResult run_pages(Stages& stages, const ListPlan& plan, const Query& query, Timestamp now,
                         HttpRequest first, const Checkpoint* checkpoint,
                         std::set<std::string>* run_ids, const PageLoopOptions& options,
                         const OnPage& on_page) {
  if (!options.slices.empty())
    return run_slices(stages, query, now, checkpoint, run_ids, options, on_page);
  const auto& spec = stages.spec();
  PagingSetup setup;
  setup.page_size = plan.page_size;
  setup.record_key = [&stages](JsonValue record) { return record_key(stages.context, record); };
  // Keyset continuation: the same query from a later --since.
  setup.check = [&stages](const Page& page) { stages.api->check_body(page.parsed.root, Purpose::list); };
  setup.restart = [&stages, query, now](Timestamp since) {
    Query later = query;
    later.since = query.since ? std::max(*query.since, since) : since;
    return plan_list(stages.context, later, now).first;
  };
  Listing listing(*spec.list.paging, spec.list.stop, setup, spec.list.records_pointer,
                  stages.context.base_url, std::move(first),
                  [&stages](const HttpRequest& r) { return stages.api->fetch(r, Purpose::list); });

  const auto limit = options.limit.value_or(std::numeric_limits<std::size_t>::max());
  const bool oldest_first = plan.order == Order::oldest_first;
  PageLoopResult result;
  Processed processed; // page after page, its activities reused
  std::optional<PageStream> stream;
  if (options.background)
    stream.emplace([&listing] { return listing.next(); }, options.limit);
  // Ordered shutdown, however the loop ends: the stream (declared after `listing`, which its
  // thread uses) is destroyed first and joins its thread. On a signal the thread may be
  // waiting on the network: the transport is cancelled before, so the join is quick.
  struct CancelOnSignal {
    Transport& transport;
    const std::optional<PageStream>& stream;
    ~CancelOnSignal() {
      if (stream && interrupted())
        transport.cancel();
    }
  } cancel_on_signal{*stages.transport, stream};
  for (;;) {
    auto page = stream ? stream->next(interrupted) : listing.next();
    if (!page) {
      result.complete = !interrupted();
      break;
    }
    process_page(stages, plan.filter, *page, checkpoint, run_ids, limit - result.matched, processed);
    result.matched += processed.count;
    const bool more = on_page(*page, processed);
    if (stream)
      stream->page_done(result.matched);
    if (!more || result.matched >= limit || interrupted())
      break;
    // Oldest first and nothing on this page before --until: later pages cannot match (APIs
    // that cannot bound the window themselves: a checkpoint, Duo's administrator log).
    if (oldest_first && plan.filter.until && processed.whole_page && processed.oldest &&
        *processed.oldest >= *plan.filter.until) {
      result.complete = true;
      break;
    }
  }
  return result;
}

} // namespace auditfetch
