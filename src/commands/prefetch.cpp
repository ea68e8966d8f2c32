#include "prefetch.hpp"
#include "worker.hpp"

namespace auditfetch {

Prefetcher::Prefetcher(Fetch fetch)
    : m_fetch(std::move(fetch)), m_state(std::make_shared<State>()),
      m_thread(run, m_state, m_fetch) {}

Prefetcher::~Prefetcher() {
  stop_worker(*m_state, m_thread, true);
}

void Prefetcher::abandon() {
  stop_worker(*m_state, m_thread, false);
}

void Prefetcher::run(std::shared_ptr<State> state, Fetch fetch) {
  std::unique_lock lock(state->mutex);
  for (;;) {
    state->changed.wait(lock, [&] { return state->stop || state->pending; });
    if (state->stop)
      return;
    const auto request = *state->started;
    lock.unlock();
    std::optional<HttpResponse> response;
    std::exception_ptr error;
    try {
      response = fetch(request);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    state->response = std::move(response);
    state->error = error;
    state->pending = false;
    state->changed.notify_all();
  }
}

void Prefetcher::start(HttpRequest request) {
  {
    std::lock_guard lock(m_state->mutex);
    if (m_state->started)
      return; // one at a time
    m_state->started = std::move(request); // take() left no answer behind
    m_state->pending = true;
  }
  m_state->changed.notify_all();
}

HttpResponse Prefetcher::take(const HttpRequest& request) {
  std::unique_lock lock(m_state->mutex);
  if (m_state->started) {
    m_state->changed.wait(lock, [&] { return !m_state->pending; });
    auto started = std::move(*m_state->started);
    auto response = std::move(m_state->response);
    const auto error = m_state->error;
    m_state->started.reset();
    m_state->response.reset();
    m_state->error = nullptr;
    if (started.url == request.url && started.method == request.method &&
        started.body == request.body) {
      if (error)
        std::rethrow_exception(error);
      return std::move(*response);
    }
    // A guess that turned out wrong: its answer, or error, is not this request's.
  }
  lock.unlock();
  return m_fetch(request);
}

} // namespace auditfetch
