#pragma once
// Process-level wiring: signals, whether stdout is a terminal, its width.

#include "auditfetch/commands/environment.hpp"

namespace auditfetch {

// SIGINT/SIGTERM set the interrupt flag; SIGPIPE is ignored (a closed pipe is an EPIPE).
void install_signal_handlers();

// The real environment: process variables, fd 1, BeastTransport, the system clock.
Environment process_io(Diagnostics& diagnostics);

} // namespace auditfetch
