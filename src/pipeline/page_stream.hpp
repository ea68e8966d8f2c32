#pragma once
// Fetches the next page on a background thread while the current one is mapped and written.

#include "auditfetch/paging/page.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace auditfetch {

class PageStream {
public:
  // fetch_next returns the next page or nullopt at the end; it runs on the stream's thread.
  // With a limit, no page is requested once the consumer may already hold `limit` matches:
  // the thread then waits for the consumer's count before deciding.
  PageStream(std::function<std::optional<Page>()> fetch_next, std::optional<std::size_t> limit);
  // Stops the thread and joins it: a fetch in progress is waited for (cancel the transport
  // first to cut it short).
  ~PageStream();
  PageStream(const PageStream&) = delete;
  PageStream& operator=(const PageStream&) = delete;

  // Return the next page, nullopt at the end; rethrows the fetching thread's error after the
  // pages before it were delivered. Returns nullopt early when `interrupted()` turns true.
  std::optional<Page> next(const std::function<bool()>& interrupted);

  // The consumer finished a page and holds `matched` activities in all.
  void page_done(std::size_t matched);

private:
  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<Page> queue;
    bool finished = false;
    bool stop = false;
    std::exception_ptr error;
    std::size_t produced = 0;
    std::size_t consumed = 0;
    std::size_t fetched_records = 0;
    std::size_t matched = 0;
  };
  static void produce(std::shared_ptr<State> state, std::function<std::optional<Page>()> fetch_next,
                      std::optional<std::size_t> limit);

  std::shared_ptr<State> m_state;
  std::thread m_thread;
};

} // namespace auditfetch
