#include "auditfetch/util/interrupt.hpp"

#include <atomic>
#include <csignal>

namespace auditfetch {
namespace {
// Lock-free atomics are async-signal-safe; the handler only stores.
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);
} // namespace

bool interrupted() { return g_signal.load(std::memory_order_relaxed) != 0; }

void request_interrupt(int signal_number) { g_signal.store(signal_number, std::memory_order_relaxed); }

int interrupt_signal() { return g_signal.load(std::memory_order_relaxed); }

} // namespace auditfetch
