#pragma once
// SIGINT/SIGTERM, as a flag that long loops check at their next step.

namespace auditfetch {

// Set by the signal handler; commands stop at the next page boundary.
bool interrupted();
void request_interrupt(int signal_number);
// The signal that interrupted (SIGINT, SIGTERM), or 0.
int interrupt_signal();

} // namespace auditfetch
