#pragma once
// The outside world a command touches, injectable for tests.

#include "auditfetch/http/types.hpp"
#include "auditfetch/time/time.hpp"
#include "auditfetch/util/diagnostics.hpp"
#include "auditfetch/util/env.hpp"

#include <cstddef>
#include <functional>
#include <memory>

namespace auditfetch {

struct Environment {
  EnvLookup env;
  int stdout_fd = 1;
  bool stdout_is_terminal = false;
  std::size_t terminal_width = 0;
  Diagnostics* diagnostics = nullptr;
  std::function<std::unique_ptr<Transport>(const TransportOptions&)> make_transport;
  std::function<Timestamp()> now;
};

} // namespace auditfetch
