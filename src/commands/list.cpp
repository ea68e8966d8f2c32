#include "auditfetch/commands/commands.hpp"

#include "auditfetch/error.hpp"
#include "auditfetch/provider/plan.hpp"
#include "page_stream.hpp"
#include "stages.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace auditfetch {
namespace {

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

// Map, filter and write one page; return the number of activities written.
std::size_t write_page(Stages& stages, const LocalFilter& filter, const Page& page,
                       std::size_t budget) {
  std::size_t written = 0;
  const auto& records = *page.records;
  for (std::size_t i = 0; i < records.size() && written < budget; ++i) {
    Activity activity;
    try {
      activity = map_record(stages.context, records[i], stages.map_options);
    } catch (const Error& e) {
      throw e.with_context(fmt::format("page {}: record {}", page.number, i + 1));
    }
    if (!filter.matches(activity))
      continue;
    stages.writer->write(activity);
    ++written;
  }
  stages.writer->end_page();
  return written;
}

} // namespace

int run_list(const ListOptions& options, const Registry& registry, Environment& environment) {
  auto stages = make_stages(options.common, registry, environment, Shape::stream);
  const auto now = environment.now();
  const auto query = make_query(options, now);
  const auto plan = plan_list(stages->context, query, now);
  const auto& spec = stages->spec();
  auto& diagnostics = *environment.diagnostics;
  diagnostics.verbose(fmt::format("{}: filters pushed down: {}; applied locally: {}", spec.name,
                                  joined(plan.pushed), joined(plan.local)));
  if (!query.since && plan.effective_since)
    diagnostics.verbose(fmt::format("{}: the API needs a time range; without --since reading from {}",
                                    spec.name, format_rfc3339_ms(*plan.effective_since)));

  // Keyset continuation re-plans the same query from a later time; the local filter still
  // applies the user's own --since.
  auto restart = [&](Timestamp since) {
    Query later = query;
    later.since = query.since ? std::max(*query.since, since) : since;
    return plan_list(stages->context, later, now).first;
  };
  Pager pager(spec, stages->context.base_url, plan.page_size, restart);
  std::optional<HttpRequest> request = plan.first;
  std::size_t page_number = 0;
  auto fetch_next = [&]() -> std::optional<Page> {
    if (!request)
      return std::nullopt;
    ++page_number;
    try {
      const auto response = stages->api->fetch(*request, Purpose::list);
      auto page = parse_page(spec, response, page_number, request->url);
      pager.accept(page);
      request = pager.next_request(*request, page);
      return page;
    } catch (const Error& e) {
      throw e.with_context(fmt::format("page {}", page_number));
    }
  };

  const auto limit = query.limit.value_or(std::numeric_limits<std::size_t>::max());
  std::size_t matched = 0;
  PageStream stream(fetch_next, query.limit);
  stages->writer->begin();
  try {
    while (matched < limit) {
      auto page = stream.next(interrupted);
      if (!page)
        break;
      matched += write_page(*stages, plan.filter, *page, limit - matched);
      stream.page_done(matched);
      if (interrupted())
        break;
    }
  } catch (const Error& e) {
    stages->writer->finish();
    throw e.with_context(spec.name);
  } catch (...) {
    stages->writer->finish();
    throw;
  }
  stages->writer->finish();
  if (interrupted()) {
    stream.abandon();
    throw Error(ErrorKind::interrupted, fmt::format("interrupted after {} activities", matched));
  }
  if (matched == limit)
    diagnostics.verbose(fmt::format("limit of {} reached", limit));
  return k_exit_ok;
}

} // namespace auditfetch
