#pragma once
// Stopping a helper thread that shares a state with `mutex`, `changed` (a condition variable)
// and `stop` with its owner (PageStream, Prefetcher).

#include <mutex>
#include <thread>

namespace auditfetch {

// Tell the thread to stop, then wait for it, or leave it behind when it may be blocked in I/O
// (an exit on a signal): it owns a share of the state, so it outlives its owner safely.
template <class State> void stop_worker(State& state, std::thread& thread, bool wait) {
  {
    std::lock_guard lock(state.mutex);
    state.stop = true;
  }
  state.changed.notify_all();
  if (!thread.joinable())
    return;
  if (wait)
    thread.join();
  else
    thread.detach();
}

} // namespace auditfetch
