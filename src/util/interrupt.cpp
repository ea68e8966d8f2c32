#include "auditfetch/util/interrupt.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <thread>
#include <unistd.h>

namespace auditfetch {
namespace {
// Lock-free atomics are async-signal-safe; the handler only stores.
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);
// The self-pipe: the handler writes a byte, a wait polls the read end. -1 until prepared.
std::atomic<int> g_wake_read{-1};
std::atomic<int> g_wake_write{-1};
} // namespace

bool interrupted() { return g_signal.load(std::memory_order_relaxed) != 0; }

void request_interrupt(int signal_number) {
  g_signal.store(signal_number, std::memory_order_relaxed);
  const int fd = g_wake_write.load(std::memory_order_relaxed);
  if (fd < 0)
    return;
  if (signal_number != 0) {
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(fd, &byte, 1); // async-signal-safe; full: already awake
  } else {
    // Cleared (tests): empty the pipe, so that the next wait sleeps again.
    char bytes[64];
    while (::read(g_wake_read.load(std::memory_order_relaxed), bytes, sizeof bytes) > 0) {
    }
  }
}

void prepare_interrupt_wakeup() {
  if (g_wake_read.load() >= 0)
    return;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
    return; // waits poll the flag instead
  g_wake_read.store(fds[0]);
  g_wake_write.store(fds[1]);
}

bool wait_interruptible(std::chrono::milliseconds duration) {
  using Clock = std::chrono::steady_clock;
  const auto until = Clock::now() + duration;
  for (;;) {
    if (interrupted())
      return false;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0)
      return true;
    const int fd = g_wake_read.load(std::memory_order_relaxed);
    if (fd < 0) {
      std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds{100}));
      continue;
    }
    pollfd wake{fd, POLLIN, 0};
    const auto timeout = static_cast<int>(std::min<long long>(left.count(), 24LL * 3600 * 1000));
    if (::poll(&wake, 1, timeout) < 0 && errno != EINTR)
      std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds{100}));
  }
}

int interrupt_signal() { return g_signal.load(std::memory_order_relaxed); }

} // namespace auditfetch
