#include "auditfetch/pipeline/merge.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <tuple>

namespace auditfetch {

std::optional<std::size_t> next_source(const std::vector<std::optional<Timestamp>>& heads, bool newest_first) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < heads.size(); ++i) {
    if (!heads[i])
      continue;
    if (!best || (newest_first ? *heads[i] > *heads[*best] : *heads[i] < *heads[*best]))
      best = i;
  }
  return best;
}

MergeHub::MergeHub(std::size_t sources, bool newest_first, std::size_t memory)
    : m_feeds(sources), m_newest_first(newest_first), m_memory(memory) {}

void MergeHub::put(std::size_t source, Timestamp at, std::string bytes) {
  std::unique_lock lock(m_mutex);
  auto& feed = m_feeds[source];
  // One item always fits, however large: a source is never stuck on its own head.
  m_space.wait(lock, [&] { return m_closed || feed.items.empty() || feed.bytes + bytes.size() <= m_memory; });
  if (m_closed)
    throw MergeClosed{};
  feed.bytes += bytes.size();
  feed.items.push_back({at, std::move(bytes)});
  ++feed.put;
  m_changed.notify_all();
}

void MergeHub::wait_printed(std::size_t source) {
  std::unique_lock lock(m_mutex);
  auto& feed = m_feeds[source];
  feed.waiting = true;
  m_changed.notify_all();
  m_space.wait(lock, [&] { return m_closed || feed.printed == feed.put; });
  feed.waiting = false;
  if (m_closed)
    throw MergeClosed{};
}

void MergeHub::finish(std::size_t source) {
  std::lock_guard lock(m_mutex);
  m_feeds[source].finished = true;
  m_changed.notify_all();
}

void MergeHub::close() {
  std::lock_guard lock(m_mutex);
  m_closed = true;
  m_space.notify_all();
  m_changed.notify_all();
}

std::size_t MergeHub::drain(const std::function<bool(std::size_t, std::string_view)>& emit,
                            const std::function<void()>& flush, const std::function<bool()>& stop) {
  std::size_t emitted = 0;
  std::vector<std::size_t> taken(m_feeds.size(), 0); // written, not yet flushed
  bool unflushed = false;
  // Flush, then tell the sources what they put is printed. Called without the lock held.
  const auto flush_all = [&] {
    if (unflushed)
      flush();
    unflushed = false;
    std::lock_guard lock(m_mutex);
    for (std::size_t i = 0; i < m_feeds.size(); ++i) {
      m_feeds[i].printed += taken[i];
      taken[i] = 0;
    }
    m_space.notify_all();
  };
  std::vector<std::optional<Timestamp>> heads(m_feeds.size());
  while (!stop()) {
    std::unique_lock lock(m_mutex);
    // A head from every source still reading; a source waiting for its page to be printed
    // has had it flushed before this wait (below), so it reads on.
    const auto ready = [&] {
      for (const auto& feed : m_feeds)
        if (feed.items.empty() && !feed.finished)
          return false;
      return true;
    };
    if (!ready()) {
      bool needs_flush = unflushed;
      if (needs_flush) {
        lock.unlock();
        flush_all();
        continue;
      }
      m_changed.wait_for(lock, std::chrono::milliseconds(100), ready);
      continue;
    }
    for (std::size_t i = 0; i < m_feeds.size(); ++i)
      heads[i] = m_feeds[i].items.empty() ? std::nullopt : std::optional<Timestamp>(m_feeds[i].items.front().at);
    const auto next = next_source(heads, m_newest_first);
    if (!next)
      break; // every source finished and emptied
    auto item = std::move(m_feeds[*next].items.front());
    m_feeds[*next].items.pop_front();
    m_feeds[*next].bytes -= item.bytes.size();
    const bool source_waits = m_feeds[*next].waiting && m_feeds[*next].items.empty();
    m_space.notify_all();
    lock.unlock();
    const bool more = emit(*next, item.bytes);
    ++emitted;
    ++taken[*next];
    unflushed = true;
    if (source_waits)
      flush_all();
    if (!more)
      break;
  }
  flush_all();
  return emitted;
}

} // namespace auditfetch

namespace auditfetch {

TailMerge::TailMerge(std::size_t sources, std::chrono::milliseconds max_delay)
    : m_sources(sources), m_max_delay(max_delay) {}

void TailMerge::put(std::size_t source, Timestamp at, std::string bytes) {
  std::lock_guard lock(m_mutex);
  if (m_closed)
    throw MergeClosed{};
  m_held.push_back({at, m_seq++, source, std::chrono::steady_clock::now(), std::move(bytes)});
  ++m_sources[source].put;
  m_changed.notify_all();
}

void TailMerge::polled(std::size_t source, Timestamp through) {
  std::lock_guard lock(m_mutex);
  auto& s = m_sources[source];
  s.through = s.through ? std::max(*s.through, through) : through;
  m_changed.notify_all();
}

void TailMerge::wait_printed(std::size_t source) {
  std::unique_lock lock(m_mutex);
  auto& s = m_sources[source];
  m_printed.wait(lock, [&] { return m_closed || s.printed == s.put; });
  if (m_closed)
    throw MergeClosed{};
}

void TailMerge::finish(std::size_t source) {
  std::lock_guard lock(m_mutex);
  m_sources[source].finished = true;
  m_changed.notify_all();
}

void TailMerge::close() {
  std::lock_guard lock(m_mutex);
  m_closed = true;
  m_printed.notify_all();
}

std::size_t TailMerge::drain(const std::function<void(std::size_t, std::string_view)>& emit,
                             const std::function<void()>& flush, const std::function<bool()>& stop) {
  using clock = std::chrono::steady_clock;
  std::size_t emitted = 0;
  std::unique_lock lock(m_mutex);
  for (;;) {
    const bool stopping = stop();
    const auto now = clock::now();
    // Released: up to the time every source still polling has polled past, and up to the
    // newest activity that has waited max_delay; everything when stopping.
    std::optional<Timestamp> bound;
    bool all_finished = true;
    for (const auto& s : m_sources) {
      if (s.finished)
        continue;
      all_finished = false;
      const auto through = s.through.value_or(Timestamp::min());
      bound = bound ? std::min(*bound, through) : through;
    }
    std::optional<clock::time_point> next_due;
    for (const auto& held : m_held) {
      const auto due = held.arrived + m_max_delay;
      if (due <= now)
        bound = bound ? std::max(*bound, held.at) : held.at;
      else if (!next_due || due < *next_due)
        next_due = due;
    }
    std::vector<Held> release;
    if (stopping || all_finished) {
      release = std::move(m_held);
      m_held.clear();
    } else if (bound) {
      const auto keep = std::partition(m_held.begin(), m_held.end(), [&](const Held& h) { return h.at > *bound; });
      std::move(keep, m_held.end(), std::back_inserter(release));
      m_held.erase(keep, m_held.end());
    }
    if (!release.empty()) {
      std::sort(release.begin(), release.end(),
                [](const Held& a, const Held& b) { return std::tie(a.at, a.seq) < std::tie(b.at, b.seq); });
      lock.unlock();
      for (const auto& held : release)
        emit(held.source, held.bytes);
      flush();
      lock.lock();
      for (const auto& held : release)
        ++m_sources[held.source].printed;
      emitted += release.size();
      m_printed.notify_all();
      continue;
    }
    if (all_finished)
      return emitted;
    // Until something changes, the next activity falls due, or a second passes (to see a stop).
    auto wake = now + std::chrono::seconds(1);
    if (next_due && *next_due < wake)
      wake = *next_due;
    m_changed.wait_until(lock, wake);
  }
}

} // namespace auditfetch
