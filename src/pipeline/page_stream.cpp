#include "pipeline/page_stream.hpp"
#include "pipeline/worker.hpp"

#include <chrono>

namespace auditfetch {

namespace {
// One page ahead is enough to hide the latency of the next request and bounds memory.
constexpr std::size_t k_pages_ahead = 1;
} // namespace

PageStream::PageStream(std::function<std::optional<Page>()> fetch_next,
                       std::optional<std::size_t> limit)
    : m_state(std::make_shared<State>()),
      m_thread(produce, m_state, std::move(fetch_next), limit) {}

PageStream::~PageStream() {
  stop_worker(*m_state, m_thread);
}

void PageStream::produce(std::shared_ptr<State> state,
                         std::function<std::optional<Page>()> fetch_next,
                         std::optional<std::size_t> limit) {
  try {
    for (;;) {
      {
        std::unique_lock lock(state->mutex);
        if (limit && state->fetched_records >= *limit) {
          state->changed.wait(lock, [&] { return state->stop || state->consumed == state->produced; });
          if (state->matched >= *limit)
            state->stop = true;
        }
        if (state->stop)
          break;
      }
      auto page = fetch_next();
      std::unique_lock lock(state->mutex);
      if (!page)
        break;
      state->fetched_records += page->records->size();
      state->changed.wait(lock, [&] { return state->stop || state->queue.size() < k_pages_ahead; });
      if (state->stop)
        break;
      state->queue.push_back(std::move(*page));
      ++state->produced;
      state->changed.notify_all();
    }
  } catch (...) {
    std::lock_guard lock(state->mutex);
    state->error = std::current_exception();
  }
  std::lock_guard lock(state->mutex);
  state->finished = true;
  state->changed.notify_all();
}

std::optional<Page> PageStream::next(const std::function<bool()>& interrupted) {
  std::unique_lock lock(m_state->mutex);
  for (;;) {
    if (!m_state->queue.empty()) {
      auto page = std::move(m_state->queue.front());
      m_state->queue.pop_front();
      m_state->changed.notify_all();
      return page;
    }
    if (m_state->finished) {
      if (m_state->error)
        std::rethrow_exception(m_state->error);
      return std::nullopt;
    }
    if (interrupted())
      return std::nullopt;
    // Polls so a signal is noticed while the fetching thread waits on the network.
    m_state->changed.wait_for(lock, std::chrono::milliseconds{100});
  }
}

void PageStream::page_done(std::size_t matched) {
  {
    std::lock_guard lock(m_state->mutex);
    ++m_state->consumed;
    m_state->matched = matched;
  }
  m_state->changed.notify_all();
}

} // namespace auditfetch
