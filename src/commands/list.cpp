#include "auditfetch/commands/list.hpp"

#include "auditfetch/commands/progress.hpp"
#include "auditfetch/pipeline/page_loop.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/interrupt.hpp"
#include "explain.hpp"
#include "stages.hpp"

#include <fmt/format.h>

namespace auditfetch {

int run_list(const ListOptions& options, const Registry& registry, Environment& environment) {
  if (options.common.explain)
    return explain_list(options, registry, environment);
  auto stages = make_stages(options.common, registry, environment, Shape::stream);
  const auto& spec = stages->spec();
  auto& diagnostics = *environment.diagnostics;
  const auto now = environment.now();
  const auto overlap = parse_duration(options.overlap, "--overlap");
  // Query, checkpoint, plan and first request: what --explain shows.
  auto start = start_list(stages->context, options, now, diagnostics);
  auto& query = start.query;
  auto& checkpoint = start.checkpoint;
  auto& plan = start.plan;
  auto first = std::move(start.first);
  report_plan(diagnostics, spec, query, plan);

  // Oldest-first APIs, and APIs whose next request is a resume point, move the checkpoint page
  // by page; otherwise older pages are still to come, so the high-water mark moves only when
  // the listing is complete.
  const bool oldest_first = spec.list.order.order == Order::oldest_first;
  const bool page_by_page = oldest_first || spec.list.resume;
  Timestamp run_newest = Timestamp::min();
  // The oldest record of a page partly delivered and kept as the resume point: the ids of that
  // page stay in the checkpoint, whatever --overlap says, so that reading it again skips them.
  std::optional<Timestamp> keep_from;
  auto save = [&](bool complete) {
    if (!checkpoint)
      return;
    if (complete && run_newest != Timestamp::min())
      checkpoint->record_high_water(run_newest);
    checkpoint->prune(overlap, keep_from);
    stages->sink->sync();
    save_checkpoint(*options.state, *checkpoint);
  };

  Progress progress(progress_wanted(environment.stdout_is_terminal, options.common.quiet));
  PageLoopOptions loop;
  loop.limit = query.limit;
  loop.background = true;
  const auto on_page = [&](Page& page, Processed& processed) {
    for (const auto& activity : processed.matched())
      stages->writer->write(activity);
    stages->writer->end_page();
    // Delivered: only now may the checkpoint count these records as printed.
    if (checkpoint) {
      record_delivered(*checkpoint, processed, oldest_first);
      if (processed.newest)
        run_newest = std::max(run_newest, *processed.newest);
      // Part of a page delivered (--limit): the next run reads that page again, and the ids
      // kept skip what was printed.
      if (spec.list.resume) {
        checkpoint->resume =
            resume_point(*stages, plan, processed.whole_page ? page.continuation : page.request);
        keep_from = processed.whole_page ? std::nullopt : processed.oldest;
      }
      if (page_by_page)
        save(false);
    }
    progress.page(page.records->size(), processed.matched(), processed.newest);
    return true;
  };

  PageLoopResult result;
  stages->writer->begin();
  try {
    result = run_pages(*stages, plan, query, now, std::move(first), checkpoint ? &*checkpoint : nullptr,
                       nullptr, loop, on_page);
  } catch (const Error& e) {
    stages->writer->finish();
    try {
      save(false);
    } catch (const Error& state_error) {
      diagnostics.warning(state_error.what()); // the first failure is the one to report
    }
    throw e.with_context(spec.name);
  } catch (const BrokenPipe&) {
    throw; // nothing more reached the reader: no checkpoint
  } catch (...) {
    stages->writer->finish();
    throw;
  }
  stages->writer->finish();
  save(result.complete || (oldest_first && !interrupted()));
  if (interrupted())
    throw Error(ErrorKind::interrupted, fmt::format("interrupted after {} activities", result.matched));
  if (query.limit && result.matched == *query.limit)
    diagnostics.verbose(fmt::format("limit of {} reached", *query.limit));
  return k_exit_ok;
}

} // namespace auditfetch
