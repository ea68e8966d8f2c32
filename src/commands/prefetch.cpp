#include "prefetch.hpp"

namespace auditfetch {

Prefetcher::Prefetcher(Fetch fetch)
    : m_fetch(std::move(fetch)), m_state(std::make_shared<State>()),
      m_thread(run, m_state, m_fetch) {}

Prefetcher::~Prefetcher() {
  if (!m_thread.joinable())
    return;
  {
    std::lock_guard lock(m_state->mutex);
    m_state->stop = true;
  }
  m_state->changed.notify_all();
  m_thread.join();
}

void Prefetcher::abandon() {
  {
    std::lock_guard lock(m_state->mutex);
    m_state->stop = true;
  }
  m_state->changed.notify_all();
  if (m_thread.joinable())
    m_thread.detach();
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
    m_state->started = std::move(request);
    m_state->pending = true;
    m_state->response.reset();
    m_state->error = nullptr;
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
