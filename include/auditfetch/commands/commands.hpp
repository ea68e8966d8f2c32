#pragma once
// list / get / tail / providers: each wires the stages together; no logic of its own.

#include "auditfetch/cli/options.hpp"
#include "auditfetch/http/client.hpp"
#include "auditfetch/http/types.hpp"
#include "auditfetch/provider/context.hpp"
#include "auditfetch/provider/registry.hpp"

#include <functional>
#include <memory>

namespace auditfetch {

// The outside world a command touches, injectable for tests.
struct Environment {
  EnvLookup env;
  int stdout_fd = 1;
  bool stdout_is_terminal = false;
  std::size_t terminal_width = 0;
  Diagnostics* diagnostics = nullptr;
  std::function<std::unique_ptr<Transport>(const TransportOptions&)> make_transport;
  std::function<Timestamp()> now;
};

// Each returns the exit code; failures are thrown as Error.
int run_list(const ListOptions& options, const Registry& registry, Environment& environment);
int run_get(const GetOptions& options, const Registry& registry, Environment& environment);
int run_tail(const TailOptions& options, const Registry& registry, Environment& environment);
int run_providers(const ProvidersOptions& options, const Registry& registry,
                  Environment& environment);

// Set by the SIGINT/SIGTERM handler; commands stop at the next page boundary.
bool interrupted();
void request_interrupt(int signal_number);
int interrupt_signal();

} // namespace auditfetch
