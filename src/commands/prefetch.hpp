#pragma once
// Sends the next page's request on a thread of its own, so that it travels while the page
// before it is still being parsed (the next link is known from the first bytes of a page).

#include "auditfetch/http/types.hpp"

#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace auditfetch {

class Prefetcher {
public:
  using Fetch = std::function<HttpResponse(const HttpRequest&)>;

  // `fetch` runs on the prefetcher's thread or on the caller's, never on both at once.
  explicit Prefetcher(Fetch fetch);
  // Waits for a request in flight (its answer is dropped), unless abandoned.
  ~Prefetcher();
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // Start fetching `request` now; take() collects it. Ignored while one is outstanding.
  void start(HttpRequest request);

  // The response to `request`: the one started for it (its error rethrown here), or fetched
  // now on the calling thread. A request started for anything else is waited for and its
  // answer dropped.
  HttpResponse take(const HttpRequest& request);

  // Leave the thread behind (it may be blocked in I/O); for an exit on a signal.
  void abandon();

private:
  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    std::optional<HttpRequest> started; // what was asked for
    bool pending = false;               // started, and the thread has not finished it
    std::optional<HttpResponse> response;
    std::exception_ptr error;
    bool stop = false;
  };
  static void run(std::shared_ptr<State> state, Fetch fetch);

  Fetch m_fetch;
  std::shared_ptr<State> m_state;
  std::thread m_thread;
};

} // namespace auditfetch
