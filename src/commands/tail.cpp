#include "auditfetch/commands/tail.hpp"

#include "auditfetch/commands/progress.hpp"
#include "auditfetch/pipeline/page_loop.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/interrupt.hpp"
#include "delivery.hpp"
#include "explain.hpp"
#include "merged.hpp"
#include "stages.hpp"

#include <boost/json/object.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <functional>
#include <set>
#include <thread>

namespace auditfetch {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds k_min_interval{1000};
constexpr milliseconds k_max_backoff{300000};

// One poll's new activities; they point into `pages`, which must outlive them.
struct Poll {
  std::vector<Page> pages;
  std::vector<Activity> fresh;
  std::vector<std::pair<std::string, Timestamp>> seen; // for the checkpoint, once delivered
  std::optional<Timestamp> newest;
  std::optional<HttpRequest> continuation; // where the next poll starts (resuming APIs)
  bool complete = false; // read to its end (not cut short by a signal)
};

// Fetch the poll's pages. Newest-first APIs stop at a page that brings nothing new (some
// always offer a next page, and what follows is older still); other orders read to the end,
// since new activity sits on the last page.
Poll poll_once(Stages& stages, const ListPlan& plan, const Checkpoint& checkpoint,
               const Query& query, Timestamp now, HttpRequest first) {
  const bool newest_first = stages.spec().list.order.order == Order::newest_first;
  Poll poll;
  std::set<std::string> run_ids;
  const auto on_page = [&](Page& page, Processed& processed) {
    if (processed.newest && (!poll.newest || *processed.newest > *poll.newest))
      poll.newest = processed.newest;
    std::move(processed.matched().begin(), processed.matched().end(), std::back_inserter(poll.fresh));
    processed.activities.clear(); // moved out: nothing of them is mapped into again
    poll.seen.insert(poll.seen.end(), processed.fresh.begin(), processed.fresh.end());
    if (page.continuation)
      poll.continuation = page.continuation;
    const bool stop_here = newest_first && processed.fresh.empty();
    poll.pages.push_back(std::move(page)); // the activities point into it
    return !stop_here;
  };
  run_pages(stages, plan, query, now, std::move(first), &checkpoint, &run_ids, {}, on_page);
  poll.complete = !interrupted();
  // Oldest first, whatever order the API serves.
  std::stable_sort(poll.fresh.begin(), poll.fresh.end(), [](const Activity& a, const Activity& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  return poll;
}

// The query of a poll: from the checkpoint's newest time minus the overlap, or, before
// anything was read, from where tail starts.
Query poll_query(Query query, const Checkpoint& checkpoint, milliseconds overlap, Timestamp start) {
  query.since = checkpoint.high_water ? checkpoint.resume_from(overlap) : start;
  return query;
}

// --explain: the first poll, as run_tail would send it.
int explain_tail(const TailOptions& options, const Registry& registry, Environment& environment,
                 milliseconds interval, milliseconds overlap, milliseconds lookback) {
  const auto& list_options = options.list;
  const auto basis = resolve_run(list_options.common, registry, environment, Shape::stream, false);
  const auto now = environment.now();
  const auto base_query = list_query(list_options, now);
  const auto loaded = open_checkpoint(list_options, basis.context);
  const auto checkpoint = loaded.value_or(Checkpoint{});
  const auto start = base_query.since.value_or(now - lookback);
  const auto query = poll_query(base_query, checkpoint, overlap, start);
  auto plan = plan_list(basis.context, query, now);
  bool resumed = false;
  const auto first = first_request(*basis.context.spec, plan, checkpoint, *environment.diagnostics, &resumed);
  Explanation e;
  e.command = "tail";
  e.basis = &basis;
  e.first = first;
  e.plan = &plan;
  e.query = &query;
  e.since_source = since_source(base_query, checkpoint, resumed, plan);
  if (!base_query.since && !checkpoint.high_water && !resumed)
    e.since_source = fmt::format("no --since: the last {}", options.lookback);
  if (!list_options.merged_source.empty())
    e.facts.push_back({"source", fmt::format("{} (profile {})", list_options.merged_source,
                                             list_options.common.profile.name),
                       boost::json::value(list_options.merged_source)});
  e.facts.push_back({"polls",
                     fmt::format("every {} s, each from the newest time printed minus --overlap {}",
                                 interval.count() / 1000, list_options.overlap),
                     boost::json::object{{"interval_ms", interval.count()}, {"overlap_ms", overlap.count()}}});
  if (auto state = explain_state(list_options, loaded, plan, resumed, first))
    e.facts.push_back(std::move(*state));
  return print_explanation(e, list_options.common, environment);
}

// Sleep, waking early on SIGINT/SIGTERM. With a progress line (`ticking`), `show` puts the
// time left on it every second; without one, nothing wakes the process until the next poll.
void wait_for(milliseconds duration, bool ticking, const std::function<void(milliseconds)>& show) {
  if (!ticking) {
    wait_interruptible(duration);
    return;
  }
  const auto until = std::chrono::steady_clock::now() + duration;
  for (auto now = std::chrono::steady_clock::now(); !interrupted() && now < until;
       now = std::chrono::steady_clock::now()) {
    const auto left = std::chrono::duration_cast<milliseconds>(until - now);
    show(left);
    // To the next whole second left, where the line's figure (rounded up) changes.
    wait_interruptible(left.count() % 1000 == 0 ? std::min(left, milliseconds{1000}) : milliseconds{left.count() % 1000});
  }
}

} // namespace

int run_tail(const TailOptions& options, const Registry& registry, Environment& environment) {
  if (!options.list.sources.empty())
    return run_merged_tail(options, registry, environment);
  return run_tail_into(options, registry, environment, nullptr, nullptr);
}

int run_tail_into(const TailOptions& options, const Registry& registry, Environment& environment,
                  std::unique_ptr<Writer> writer, const TailHooks* hooks) {
  const auto& list_options = options.list;
  if (list_options.query.limit)
    throw Error(ErrorKind::usage, "--limit does not apply to tail", "use 'auditfetch list --limit N'");
  if (list_options.query.until)
    throw Error(ErrorKind::usage, "--until does not apply to tail", "use 'auditfetch list --until T'");
  const auto interval = parse_duration(options.interval, "--interval");
  if (interval < k_min_interval)
    throw Error(ErrorKind::usage, fmt::format("--interval {} is below the minimum of 1s", options.interval));
  const auto overlap = parse_duration(list_options.overlap, "--overlap");
  const auto lookback = parse_duration(options.lookback, "--lookback");
  check_delivery_options(list_options);
  // --explain reads no lock and sends nothing: it returns before the state file is locked.
  if (list_options.common.explain)
    return explain_tail(options, registry, environment, interval, overlap, lookback);

  auto stages = make_stages(list_options.common, registry, environment, Shape::stream);
  if (writer)
    stages->writer = std::move(writer);
  const auto& spec = stages->spec();
  auto& diagnostics = *environment.diagnostics;
  warn_unknown_actions(spec, list_options.query.actions, diagnostics);
  const auto base_query = list_query(list_options, environment.now());
  // One run per state file, from before it is read until the run ends.
  const auto lock = lock_state(list_options);
  // Without --state the checkpoint lives in memory: it is what makes each poll print once.
  auto checkpoint = open_checkpoint(list_options, *stages).value_or(Checkpoint{});
  Delivery delivery(list_options, *stages, diagnostics);
  const auto start = base_query.since.value_or(environment.now() - lookback);
  if (!checkpoint.high_water)
    checkpoint.floor = start;
  else
    report_state_over_since(diagnostics, list_options, checkpoint.resume_from(overlap), false);

  Progress progress(progress_wanted(environment.stdout_is_terminal, list_options.common.quiet));
  std::size_t polls = 0, printed = 0;
  std::optional<Timestamp> newest;
  auto show = [&](std::optional<milliseconds> left) {
    if (progress.enabled())
      progress.status(format_tail_status(polls, printed, newest, left));
  };
  delivery.begin();
  int failures = 0;
  bool first = true;
  try {
    while (!interrupted()) {
      const auto now = environment.now();
      const auto query = poll_query(base_query, checkpoint, overlap, start);
      auto plan = plan_list(stages->context, query, now);
      if (first)
        report_plan(diagnostics, spec, query, plan);
      const auto from = first_request(*stages, plan, checkpoint, diagnostics);
      first = false;

      Poll poll;
      show(std::nullopt);
      try {
        poll = poll_once(*stages, plan, checkpoint, query, now, from);
        failures = 0;
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::remote)
          throw;
        const auto wait =
            std::max(interval, std::min(k_max_backoff, interval * (1 << std::min(++failures, 8))));
        diagnostics.warning(fmt::format("{}: poll failed: {}; trying again in {} s", spec.name,
                                        e.what(), wait.count() / 1000));
        if (hooks && hooks->failed)
          hooks->failed(e.what());
        wait_for(wait, progress.enabled(), show);
        continue;
      }
      // A poll is a batch, or --batch activities are: each is saved once delivered, its ids
      // only (the poll's high-water mark moves once all of it is delivered).
      for (std::size_t i = 0; i < poll.fresh.size(); ++i) {
        delivery.write(poll.fresh[i]);
        if (delivery.batch() && delivery.pending() == *delivery.batch() && i + 1 < poll.fresh.size()) {
          delivery.deliver();
          for (std::size_t j = i + 1 - *delivery.batch(); j <= i; ++j)
            if (poll.fresh[j].id && poll.fresh[j].created_at)
              checkpoint.record(*poll.fresh[j].id, *poll.fresh[j].created_at, false);
          if (list_options.state)
            save_checkpoint(*list_options.state, checkpoint);
        }
      }
      // Everything this poll found is written: the source has been read up to the poll's time,
      // or up to its newest activity when that is later (one created while the poll ran).
      // Reported as the poll's start alone, such an activity waited for this source's next
      // poll, which waits for it to be printed: every source stalled until --max-delay, and
      // activities released then could precede older ones found after.
      if (hooks && hooks->polled && poll.complete)
        hooks->polled(poll.newest ? std::max(now, *poll.newest) : now);
      delivery.deliver();
      ++polls;
      printed += poll.fresh.size();
      if (poll.newest && (!newest || *poll.newest > *newest))
        newest = poll.newest;
      for (const auto& [id, at] : poll.seen)
        checkpoint.record(id, at, false);
      // A poll cut short may have older pages unread: then only the printed ids count.
      if (poll.newest && poll.complete)
        checkpoint.record_high_water(*poll.newest);
      if (spec.list.resume && poll.complete)
        checkpoint.resume = resume_point(*stages, plan, poll.continuation);
      checkpoint.prune(overlap);
      if (list_options.state && (poll.newest || spec.list.resume)) {
        delivery.sync();
        save_checkpoint(*list_options.state, checkpoint);
      }
      diagnostics.verbose(fmt::format("{}: {} new activities; next poll in {} s", spec.name,
                                      poll.fresh.size(), interval.count() / 1000));
      wait_for(interval, progress.enabled(), show);
    }
  } catch (const Error& e) {
    delivery.finish();
    throw e.with_context(spec.name);
  }
  delivery.finish();
  if (list_options.state) {
    delivery.sync();
    save_checkpoint(*list_options.state, checkpoint);
  }
  return interrupt_signal() == SIGTERM ? k_exit_ok : exit_code(ErrorKind::interrupted);
}

} // namespace auditfetch
