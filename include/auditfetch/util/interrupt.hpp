#pragma once
// SIGINT/SIGTERM, as a flag that long loops check at their next step.

#include <chrono>

namespace auditfetch {

// Set by the signal handler; commands stop at the next page boundary.
bool interrupted();
void request_interrupt(int signal_number);
// The signal that interrupted (SIGINT, SIGTERM), or 0.
int interrupt_signal();

// Make request_interrupt() wake wait_interruptible() at once (a self-pipe the handler writes
// to). Call before installing the signal handlers; without it, waits poll the flag.
void prepare_interrupt_wakeup();
// Sleep up to `duration`, without waking in between, unless a signal comes: returns false
// when interrupted (at once, if it already was).
bool wait_interruptible(std::chrono::milliseconds duration);

} // namespace auditfetch
