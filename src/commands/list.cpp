#include "auditfetch/commands/list.hpp"

#include "auditfetch/commands/progress.hpp"
#include "auditfetch/pipeline/page_loop.hpp"
#include "auditfetch/pipeline/slices.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/interrupt.hpp"
#include "delivery.hpp"
#include "merged.hpp"
#include "explain.hpp"
#include "reverse.hpp"
#include "stages.hpp"

#include <fmt/format.h>

#include <charconv>
#include <span>

namespace auditfetch {
namespace {

// Reversed output is flushed every so many activities, as a page would be.
constexpr std::size_t k_reversed_flush = 1000;
// What pages read ahead by --parallel may hold: AUDITFETCH_PARALLEL_MEMORY bytes, else 32 MiB.
std::size_t parallel_memory(const EnvLookup& env) {
  const auto text = env("AUDITFETCH_PARALLEL_MEMORY");
  if (!text)
    return std::size_t{32} << 20;
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc{} || end != text->data() + text->size())
    throw Error(ErrorKind::usage, fmt::format("AUDITFETCH_PARALLEL_MEMORY: '{}' is not a number", *text),
                "set it to the bytes --parallel may hold in pages read ahead, e.g. 33554432");
  return n;
}


// What the checkpoint may record once the activities written so far are delivered: the
// records they cover (matched or not), and where the next run resumes.
struct Covered {
  std::vector<std::pair<std::string, Timestamp>> fresh;
  std::optional<Timestamp> newest;
  bool moves_resume = false; // set `resume` and `keep_from` below
  std::optional<ResumePoint> resume;
  std::optional<Timestamp> keep_from;

  bool empty() const { return fresh.empty() && !newest && !moves_resume; }

  void add(std::span<const std::pair<std::string, Timestamp>> records) {
    for (const auto& record : records) {
      fresh.push_back(record);
      if (!newest || record.second > *newest)
        newest = record.second;
    }
  }
};

// "2026-11-30T06:00:00Z": milliseconds only when there are some.
std::string window_time(Timestamp t) {
  const auto text = format_rfc3339_ms(t);
  constexpr std::string_view whole_second = ".000Z";
  if (!text.ends_with(whole_second))
    return text;
  return text.substr(0, text.size() - whole_second.size()) + "Z";
}

// A listing that printed nothing says which window it searched: always when the window was
// the provider's default (the user may not know there is one), else on a terminal only.
void report_nothing(const ListOptions& options, const ProviderSpec& spec, const ListPlan& plan,
                    const Query& query, Timestamp now, bool stdout_is_terminal) {
  if (options.common.quiet)
    return;
  const bool defaulted = !options.query.since && !options.state && plan.effective_since;
  if (!defaulted && !stdout_is_terminal)
    return;
  if (!plan.effective_since) {
    write_stderr_line("auditfetch: no activities");
    return;
  }
  auto line = fmt::format("auditfetch: no activities between {} and {}", window_time(*plan.effective_since),
                          window_time(query.until.value_or(now)));
  if (defaulted)
    line += fmt::format(" (default --since {})", spec.list.window.default_since);
  write_stderr_line(line);
}

} // namespace

int run_list(const ListOptions& options, const Registry& registry, Environment& environment) {
  if (!options.sources.empty())
    return run_merged_list(options, registry, environment);
  return run_list_into(options, registry, environment, nullptr);
}

int run_list_into(const ListOptions& options, const Registry& registry, Environment& environment,
                  std::unique_ptr<Writer> writer) {
  check_delivery_options(options);
  if (options.count && options.exec)
    throw Error(ErrorKind::usage, "--count prints a number, not activities: it cannot be used with --exec");
  if (options.count && options.state)
    throw Error(ErrorKind::usage,
                "--count prints no activities, so --state would mark them as printed",
                "count without --state");
  // --explain reads no lock and sends nothing: it returns before the state file is locked.
  if (options.common.explain)
    return explain_list(options, registry, environment);
  auto stages = make_stages(options.common, registry, environment, Shape::stream);
  if (writer)
    stages->writer = std::move(writer);
  if (options.count) {
    WriterOptions discard;
    discard.discard = true;
    stages->writer = make_writer(discard, *stages->sink);
  }
  const auto& spec = stages->spec();
  auto& diagnostics = *environment.diagnostics;
  warn_unknown_actions(spec, options.query.actions, diagnostics);
  const auto now = environment.now();
  const auto overlap = parse_duration(options.overlap, "--overlap");
  // One run per state file, from before it is read until the run ends.
  const auto lock = lock_state(options);
  // Query, checkpoint, plan and first request: what --explain shows.
  auto start = start_list(stages->context, options, now, diagnostics);
  auto& query = start.query;
  auto& checkpoint = start.checkpoint;
  auto& plan = start.plan;
  auto first = std::move(start.first);
  report_plan(diagnostics, spec, query, plan);
  if (query.order)
    diagnostics.verbose(fmt::format("{}: order: {}", spec.name,
                                    order_keeping_text(spec, query, plan, order_memory_items(environment.env))));
  Delivery delivery(options, *stages, diagnostics);
  // --order the API cannot serve: kept as read, printed backwards once the listing is read.
  std::optional<ReversedActivities> reversed;
  // What a reversed listing covers, once it has all been printed (a source of a merged run with
  // --state-dir): the checkpoint moves as after a complete listing in the API's order.
  Covered reversed_covered;
  if (start.reverse)
    reversed.emplace(environment.env, diagnostics, spec.name);

  // Oldest-first APIs, and APIs whose next request is a resume point, move the checkpoint page
  // by page; otherwise older pages are still to come, so the high-water mark moves only when
  // the listing is complete. A command (--exec) is told each batch once: its ids are saved
  // after each, whatever the order, so that a run killed later does not deliver them again.
  const bool oldest_first = plan.order == Order::oldest_first;
  const bool page_by_page = oldest_first || spec.list.resume || delivery.exec();
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
    delivery.sync();
    save_checkpoint(*options.state, *checkpoint);
  };

  // Written, not yet delivered: what the checkpoint may record once it is.
  Covered covered;
  // Deliver what was written (--exec: run the command); only then may the checkpoint count
  // it, and the records before it, as printed.
  const auto commit = [&] {
    delivery.deliver();
    if (checkpoint) {
      for (const auto& [id, at] : covered.fresh)
        checkpoint->record(id, at, oldest_first);
      if (covered.newest)
        run_newest = std::max(run_newest, *covered.newest);
      if (covered.moves_resume) {
        checkpoint->resume = covered.resume;
        keep_from = covered.keep_from;
      }
      if (page_by_page)
        save(false);
    }
    covered = Covered{};
  };

  Progress progress(progress_wanted(environment.stdout_is_terminal, options.common.quiet));
  PageLoopOptions loop;
  loop.limit = reversed ? std::nullopt : query.limit;
  loop.background = true;
  if (options.parallel > 1) {
    auto sliced = parallel_plan(stages->context, options, query, plan, start.resumed, checkpoint.has_value(), now);
    if (sliced.refusal) {
      diagnostics.warning(
          fmt::format("--parallel {}: {}; reading one page at a time", options.parallel, *sliced.refusal));
    } else {
      diagnostics.verbose(fmt::format("{}: --parallel {}: {}", spec.name, options.parallel,
                                      parallel_text(sliced, options.parallel)));
      loop.slice_windows = std::move(sliced.slices);
      loop.slices = std::move(sliced.plans);
      loop.connections = options.parallel;
      loop.slice_memory = parallel_memory(environment.env);
    }
  }
  const auto on_page = [&](Page& page, Processed& processed) {
    const auto matched = processed.matched();
    if (reversed) {
      for (const auto& activity : matched)
        reversed->add(activity);
      if (checkpoint) {
        reversed_covered.add(processed.fresh);
        if (processed.newest)
          reversed_covered.newest = std::max(reversed_covered.newest.value_or(*processed.newest), *processed.newest);
        if (spec.list.resume) {
          reversed_covered.moves_resume = true;
          reversed_covered.resume =
              resume_point(*stages, plan, processed.whole_page ? page.continuation : page.request);
          reversed_covered.keep_from = processed.whole_page ? std::nullopt : processed.oldest;
        }
      }
      progress.page(page.records->size(), processed.matched(), processed.newest);
      return true;
    }
    const std::span<const std::pair<std::string, Timestamp>> fresh(processed.fresh);
    std::size_t taken = 0; // of `fresh`, moved into `covered`
    for (std::size_t i = 0; i < matched.size(); ++i) {
      delivery.write(matched[i]);
      // A batch of --batch activities ends inside the page: it covers the page's records up
      // to this activity, and the next run reads the page again (the ids kept skip them).
      if (delivery.batch() && delivery.pending() == *delivery.batch()) {
        covered.add(fresh.subspan(taken, processed.fresh_through[i] - taken));
        taken = processed.fresh_through[i];
        if (spec.list.resume) {
          covered.moves_resume = true;
          covered.resume = resume_point(*stages, plan, page.request);
          covered.keep_from = processed.oldest;
        }
        commit();
      }
    }
    covered.add(fresh.subspan(taken));
    if (processed.newest)
      covered.newest = std::max(covered.newest.value_or(*processed.newest), *processed.newest);
    // Part of a page delivered (--limit): the next run reads that page again, and the ids
    // kept skip what was printed.
    if (spec.list.resume) {
      covered.moves_resume = true;
      covered.resume =
          resume_point(*stages, plan, processed.whole_page ? page.continuation : page.request);
      covered.keep_from = processed.whole_page ? std::nullopt : processed.oldest;
    }
    // A page is a batch; with --batch, what is left waits for more, unless it is nothing.
    if (!delivery.batch() || delivery.pending() == 0)
      commit();
    progress.page(page.records->size(), processed.matched(), processed.newest);
    return true;
  };

  PageLoopResult result;
  delivery.begin();
  try {
    result = run_pages(*stages, plan, query, now, std::move(first), checkpoint ? &*checkpoint : nullptr,
                       nullptr, loop, on_page);
    // Reversed: nothing is printed before the listing's end, and nothing of a listing cut short.
    if (reversed && result.complete) {
      result.matched = reversed->drain(query.limit, [&](const Activity& activity) {
        delivery.write(activity);
        if (delivery.pending() >= k_reversed_flush)
          delivery.deliver();
      });
      delivery.deliver();
      // Printed in full (--limit would have cut it; a merged run refuses it with --state-dir).
      if (!query.limit)
        covered = std::move(reversed_covered);
    }
    // The last batch of --batch, cut short by the end of the listing (or by a signal).
    if (delivery.pending() > 0 || !covered.empty())
      commit();
  } catch (const Error& e) {
    try {
      // What was read before the failure still goes out, unless its delivery is what failed.
      if ((delivery.pending() > 0 || !covered.empty()) && !delivery.failed())
        commit();
    } catch (const Error& delivery_error) {
      diagnostics.warning(delivery_error.what()); // the first failure is the one to report
    }
    delivery.finish();
    try {
      save(false);
    } catch (const Error& state_error) {
      diagnostics.warning(state_error.what());
    }
    throw e.with_context(spec.name);
  } catch (const BrokenPipe&) {
    throw; // nothing more reached the reader: no checkpoint
  } catch (...) {
    delivery.finish();
    throw;
  }
  delivery.finish();
  save(result.complete || (oldest_first && !interrupted()));
  if (interrupted())
    throw Error(ErrorKind::interrupted,
                reversed ? fmt::format("interrupted after reading {} activities, none printed (--order "
                                       "prints once the listing is read)",
                                       reversed->size())
                         : fmt::format("interrupted after {} activities", result.matched));
  if (query.limit && result.matched == *query.limit)
    diagnostics.verbose(fmt::format("limit of {} reached", *query.limit));
  report_budget(diagnostics, spec, *stages->budget);
  if (options.count) {
    stages->sink->write(fmt::format("{}\n", result.matched));
    stages->sink->flush();
  } else if (result.matched == 0 && options.merged_source.empty()) {
    report_nothing(options, spec, plan, query, now, environment.stdout_is_terminal);
  }
  return k_exit_ok;
}

} // namespace auditfetch
