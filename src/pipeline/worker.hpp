#pragma once
// Stopping a helper thread that shares a state with `mutex`, `changed` (a condition variable)
// and `stop` with its owner (PageStream).

#include <mutex>
#include <thread>

namespace auditfetch {

// Tell the thread to stop, then wait for it. Never left behind: what it uses (the listing,
// the transport, the caller's locals) lives only as long as its owner. A thread blocked in
// I/O is freed first by cancelling the transport (run_pages does, on a signal).
template <class State> void stop_worker(State& state, std::thread& thread) {
  {
    std::lock_guard lock(state.mutex);
    state.stop = true;
  }
  state.changed.notify_all();
  if (thread.joinable())
    thread.join();
}

} // namespace auditfetch
