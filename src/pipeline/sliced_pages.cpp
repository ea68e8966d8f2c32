#include "pipeline/sliced_pages.hpp"

#include "auditfetch/mapping/mapping.hpp"
#include "auditfetch/paging/listing.hpp"

#include <algorithm>
#include <chrono>

namespace auditfetch {

SlicedPages::SlicedPages(Stages& stages, const std::vector<TimeSlice>& slices, const std::vector<ListPlan>& plans,
                         const Query& query, Timestamp now, std::size_t connections, std::size_t memory)
    : m_stages(stages), m_query(query), m_now(now), m_memory(memory),
      m_width(std::max<std::size_t>(1, connections)) {
  Slice* previous = nullptr;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    auto& slice = m_slices.emplace_back();
    slice.window = slices[i];
    slice.plan = plans[i];
    if (previous)
      previous->next = &slice;
    previous = &slice;
  }
  m_reading = m_slices.empty() ? nullptr : &m_slices.front();
  for (std::size_t i = 0; i < m_width; ++i)
    m_connections.push_back(stages.connect());
  try {
    for (auto& connection : m_connections)
      m_threads.emplace_back([this, &connection] { work(*connection); });
  } catch (...) {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_changed.notify_all();
    for (auto& thread : m_threads)
      thread.join();
    throw;
  }
}

SlicedPages::~SlicedPages() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_changed.notify_all();
  // A run that ends early (a slice failed, the consumer stopped) does not wait for the
  // requests still under way on the other connections: nothing they bring is printed.
  cancel();
  for (auto& thread : m_threads)
    thread.join();
}

void SlicedPages::cancel() {
  for (auto& connection : m_connections)
    connection->transport->cancel();
}

ListPlan SlicedPages::plan_for(const TimeSlice& window) const {
  Query part = m_query;
  part.since = window.since;
  part.until = window.until;
  return plan_list(m_stages.context, part, m_now);
}

std::size_t SlicedPages::waiting_slices() {
  std::lock_guard lock(m_mutex);
  return static_cast<std::size_t>(
      std::count_if(m_slices.begin(), m_slices.end(), [](const Slice& s) { return !s.started; }));
}

SlicedPages::Slice* SlicedPages::take() {
  for (auto* slice = m_reading; slice; slice = slice->next) {
    if (slice->error)
      return nullptr; // what comes after a failed slice is never printed: not read either
    if (!slice->started) {
      slice->started = true;
      return slice;
    }
  }
  return nullptr;
}

void SlicedPages::work(Connection& connection) {
  const auto& spec = m_stages.spec();
  for (;;) {
    Slice* slice = nullptr;
    {
      std::unique_lock lock(m_mutex);
      // A connection with nothing to take waits: a dense slice may still be cut for it.
      m_changed.wait(lock, [&] {
        if (m_stop)
          return true;
        slice = take();
        if (slice)
          return true;
        const bool all_started = std::all_of(m_slices.begin(), m_slices.end(), [](const Slice& s) {
          return s.started;
        });
        const bool any_splittable = std::any_of(m_slices.begin(), m_slices.end(), [](const Slice& s) {
          return s.started && !s.done && !s.first_page;
        });
        return !m_reading || (all_started && !any_splittable) ||
               std::any_of(m_slices.begin(), m_slices.end(), [](const Slice& s) { return s.error != nullptr; });
      });
      if (!slice)
        return;
    }
    try {
      PagingSetup setup;
      setup.page_size = slice->plan.page_size;
      setup.record_key = [this](JsonValue record) { return record_key(m_stages.context, record); };
      setup.check = [&connection](const Page& page) {
        connection.api->check_body(page.parsed.root, Purpose::list);
      };
      setup.restart = [this, slice](Timestamp since) {
        return plan_for({std::max(slice->window.since, since), slice->window.until}).first;
      };
      std::size_t body_size = 0;
      Listing listing(*spec.list.paging, spec.list.stop, setup, spec.list.records_pointer,
                      m_stages.context.base_url, slice->plan.first, [&](const HttpRequest& request) {
                        auto response = connection.api->fetch(request, Purpose::list);
                        body_size = response.body.size();
                        return response;
                      });
      for (bool first = true;; first = false) {
        auto page = listing.next();
        if (!page)
          break;
        // A first page with more after it that spans little of its slice: the rest is cut
        // into slices of their own, for the connections that are free.
        std::optional<SliceSplit> split;
        std::vector<ListPlan> plans;
        ListPlan kept_plan;
        // Only while connections would otherwise go idle: while enough slices are still
        // waiting to be taken, cutting one adds requests (each piece ends on a partial page)
        // and wins nothing.
        if (first && page->continuation && waiting_slices() < m_width) {
          std::optional<Timestamp> oldest, newest;
          for (const auto& record : *page->records)
            if (const auto key = record_key(m_stages.context, record)) {
              oldest = std::min(oldest.value_or(key->first), key->first);
              newest = std::max(newest.value_or(key->first), key->first);
            }
          if (oldest)
            split = split_dense(slice->window, *oldest, *newest, slice->plan.order, m_width);
          if (split) {
            kept_plan = plan_for(split->kept);
            for (const auto& window : split->rest)
              plans.push_back(plan_for(window));
          }
        }
        std::unique_lock lock(m_mutex);
        if (split) {
          slice->window = split->kept;
          slice->plan.filter = kept_plan.filter;
          auto* after = slice->next;
          auto* previous = slice;
          for (std::size_t i = 0; i < split->rest.size(); ++i) {
            auto& added = m_slices.emplace_back();
            added.window = split->rest[i];
            added.plan = std::move(plans[i]);
            previous->next = &added;
            previous = &added;
          }
          previous->next = after;
        }
        // Past the bound, only the slice being handed out goes on; the others wait for room.
        m_changed.wait(lock, [&] { return m_stop || slice == m_reading || m_held + body_size <= m_memory; });
        if (m_stop)
          return;
        m_held += body_size;
        slice->first_page = true;
        slice->pages.emplace_back(std::move(*page), body_size);
        m_changed.notify_all();
        if (split)
          break; // its first page holds all that is left of it
      }
    } catch (...) {
      std::lock_guard lock(m_mutex);
      slice->error = std::current_exception();
    }
    std::lock_guard lock(m_mutex);
    slice->done = true;
    m_changed.notify_all();
  }
}

std::optional<SlicedPages::Next> SlicedPages::next(const std::function<bool()>& interrupted) {
  std::unique_lock lock(m_mutex);
  for (;;) {
    if (!m_reading)
      return std::nullopt;
    auto& slice = *m_reading;
    if (!slice.pages.empty()) {
      auto [page, size] = std::move(slice.pages.front());
      slice.pages.pop_front();
      m_held -= size;
      m_changed.notify_all();
      return Next{std::move(page), &slice.plan.filter};
    }
    if (slice.done) {
      if (slice.error)
        std::rethrow_exception(slice.error);
      m_reading = slice.next;
      m_changed.notify_all();
      continue;
    }
    if (interrupted())
      return std::nullopt;
    // Polls so a signal is noticed while every connection waits on the network.
    m_changed.wait_for(lock, std::chrono::milliseconds{100});
  }
}

} // namespace auditfetch
