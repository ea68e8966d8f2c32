#pragma once
// The outside world a command touches, injectable for tests.

#include "auditfetch/http/rate_budget.hpp"
#include "auditfetch/http/types.hpp"
#include "auditfetch/time/time.hpp"
#include "auditfetch/util/diagnostics.hpp"
#include "auditfetch/util/env.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace auditfetch {

struct Environment {
  EnvLookup env;
  int stdout_fd = 1;
  bool stdout_is_terminal = false;
  std::size_t terminal_width = 0;
  Diagnostics* diagnostics = nullptr;
  std::function<std::unique_ptr<Transport>(const TransportOptions&)> make_transport;
  std::function<Timestamp()> now;
  // The request budget of an account ("okta https://acme.okta.com domain=acme.okta.com"),
  // shared by every source of a merged run that reads it; unset: each run has its own.
  std::function<std::shared_ptr<RateBudget>(const std::string& account, const RateLimit& limit)> budget_for;
};

} // namespace auditfetch
