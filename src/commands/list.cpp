#include "auditfetch/commands/commands.hpp"

#include "auditfetch/commands/progress.hpp"
#include "auditfetch/error.hpp"
#include "auditfetch/provider/plan.hpp"
#include "auditfetch/state/checkpoint.hpp"
#include "list_support.hpp"
#include "page_stream.hpp"
#include "prefetch.hpp"
#include "process.hpp"
#include "stages.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <limits>

namespace auditfetch {

std::string joined(const std::vector<std::string>& items) {
  return items.empty() ? "none" : fmt::format("{}", fmt::join(items, ", "));
}

Query make_query(const ListOptions& options, Timestamp now) {
  Query query;
  if (options.since)
    query.since = parse_time_arg(*options.since, now, "--since");
  if (options.until)
    query.until = parse_time_arg(*options.until, now, "--until");
  query.actions = options.actions;
  query.actor_id = options.actor_id;
  query.entity = options.entity;
  query.entity_type = options.entity_type;
  query.native_filters = options.filters;
  for (const auto& param : options.params)
    query.params.push_back(parse_param(param));
  query.limit = options.limit;
  query.page_size = options.page_size;
  if (query.limit && *query.limit == 0)
    throw Error(ErrorKind::usage, "--limit must be at least 1");
  return query;
}

void report_plan(Diagnostics& diagnostics, const ProviderSpec& spec, const Query& query,
                 const ListPlan& plan) {
  diagnostics.verbose(fmt::format("{}: filters pushed down: {}; applied locally: {}", spec.name,
                                  joined(plan.pushed), joined(plan.local)));
  if (!query.since && plan.effective_since)
    diagnostics.verbose(fmt::format("{}: the API needs a time range; without --since reading from {}",
                                    spec.name, format_rfc3339_ms(*plan.effective_since)));
}

Pager::Restart keyset_restart(const Stages& stages, const Query& query, Timestamp now) {
  return [&stages, query, now](Timestamp since) {
    Query later = query;
    later.since = query.since ? std::max(*query.since, since) : since;
    return plan_list(stages.context, later, now).first;
  };
}

std::optional<Checkpoint> open_checkpoint(const ListOptions& options, const Stages& stages) {
  if (!options.state)
    return std::nullopt;
  const auto account = account_of(stages.context);
  if (auto loaded = load_checkpoint(*options.state, stages.spec().name, account))
    return loaded;
  Checkpoint fresh;
  fresh.provider = stages.spec().name;
  fresh.account = account;
  return fresh;
}

int run_list(const ListOptions& options, const Registry& registry, Environment& environment) {
  auto stages = make_stages(options.common, registry, environment, Shape::stream);
  const auto now = environment.now();
  auto query = make_query(options, now);
  const auto overlap = parse_duration(options.overlap, "--overlap");
  auto checkpoint = open_checkpoint(options, *stages);
  // A checkpoint takes precedence over --since: the run starts where the last one stopped.
  if (checkpoint && checkpoint->high_water)
    query.since = checkpoint->resume_from(overlap);
  const auto plan = plan_list(stages->context, query, now);
  if (checkpoint && !checkpoint->high_water)
    checkpoint->floor = plan.effective_since;
  const auto& spec = stages->spec();
  auto& diagnostics = *environment.diagnostics;
  report_plan(diagnostics, spec, query, plan);

  Pager pager(spec, stages->context.base_url, plan.page_size, keyset_restart(*stages, query, now));
  std::optional<HttpRequest> request = plan.first;
  std::size_t page_number = 0;
  // The next page is asked for as soon as its link is read, while this one is parsed, when
  // the server takes longer to answer than a page takes to parse: an API across a network.
  // A server on the same host answers in well under a millisecond; there the request ahead
  // would gain nothing, hold one more page in memory and compete for the cores (measured:
  // bench/README.md). Not with --limit: there the next page is asked for only once the
  // matches so far are counted.
  constexpr std::chrono::milliseconds k_prefetch_min_wait{2};
  Prefetcher prefetch([&](const HttpRequest& r) { return stages->api->fetch(r, Purpose::list); });
  std::chrono::steady_clock::duration parse_took{};
  auto fetch_next = [&]() -> std::optional<Page> {
    if (!request)
      return std::nullopt;
    ++page_number;
    Page page;
    try {
      auto response = prefetch.take(*request);
      const auto start = std::chrono::steady_clock::now();
      if (!query.limit && response.waited > std::max<std::chrono::steady_clock::duration>(
                                                 parse_took, k_prefetch_min_wait))
        if (auto early = pager.early_next_request(*request, response.body))
          prefetch.start(std::move(*early));
      page = parse_page(spec, response, page_number, request->url);
      give_back_body_buffer(std::move(response.body)); // the page holds what it needs
      pager.accept(page);
      parse_took = std::chrono::steady_clock::now() - start;
    } catch (const Error& e) {
      throw e.with_context(fmt::format("page {}", page_number));
    }
    request = pager.next_request(*request, page); // its errors name the page themselves
    return page;
  };

  // Oldest-first APIs move the checkpoint page by page; otherwise older pages are still to
  // come, so the high-water mark moves only when the listing is complete.
  const bool oldest_first = spec.list.order == Order::oldest_first;
  Timestamp run_newest = Timestamp::min();
  auto save = [&](bool complete) {
    if (!checkpoint)
      return;
    if (complete && run_newest != Timestamp::min())
      checkpoint->record_high_water(run_newest);
    checkpoint->prune(overlap);
    stages->sink->sync();
    save_checkpoint(*options.state, *checkpoint);
  };

  const auto limit = query.limit.value_or(std::numeric_limits<std::size_t>::max());
  std::size_t matched = 0;
  Processed processed; // page after page, its activities reused
  PageStream stream(fetch_next, query.limit);
  Progress progress(progress_wanted(environment.stdout_is_terminal, options.common.quiet));
  stages->writer->begin();
  try {
    while (matched < limit) {
      auto page = stream.next(interrupted);
      if (!page)
        break;
      process_page(*stages, plan.filter, *page, checkpoint ? &*checkpoint : nullptr, nullptr,
                   limit - matched, processed);
      for (const auto& activity : processed.matched())
        stages->writer->write(activity);
      matched += processed.count;
      stages->writer->end_page();
      // Delivered: only now may the checkpoint count these records as printed.
      if (checkpoint) {
        record_delivered(*checkpoint, processed, oldest_first);
        if (processed.newest)
          run_newest = std::max(run_newest, *processed.newest);
        if (oldest_first)
          save(false);
      }
      stream.page_done(matched);
      progress.page(page->records->size(), processed.matched(), processed.newest);
      if (interrupted())
        break;
    }
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
  const bool complete = !interrupted() && (matched < limit || oldest_first);
  save(complete);
  if (interrupted()) {
    stream.abandon();
    prefetch.abandon();
    throw Error(ErrorKind::interrupted, fmt::format("interrupted after {} activities", matched));
  }
  if (matched == limit)
    diagnostics.verbose(fmt::format("limit of {} reached", limit));
  return k_exit_ok;
}

} // namespace auditfetch
