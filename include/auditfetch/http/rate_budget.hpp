#pragma once
// One request budget per provider account, shared by every connection of a run (the slices of
// `list --parallel`): a sliding window of at most N requests per period, narrowed by what
// the API says of itself (a remaining count of zero waits for its reset) and by a 429 (the
// whole account waits, not one connection). Thread-safe; the clock and the sleep are
// injected so that the logic is tested without waiting.

#include "auditfetch/http/types.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <algorithm>

namespace auditfetch {

struct RateLimitSignals;

struct RateLimit {
  std::size_t requests = 0; // 0: no limit of our own (only what the API says)
  std::chrono::milliseconds window{1000};
  bool operator==(const RateLimit&) const = default;
};

// "10/s", "5/10s", "50/min", "600/1m": requests per period. Throws Error(usage) naming `what`.
RateLimit parse_rate(const std::string& text, const std::string& what);
// "10/s", "5/10s", "50/min".
std::string rate_text(const RateLimit& limit);

class RateBudget {
public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;
  // Sleep for the duration; returns false when the wait was cut short (a signal).
  using Sleep = std::function<bool(std::chrono::milliseconds)>;

  // A margin on the window: the server counts arrivals, which come a little after sends and
  // not always in the order sent (bench/parallel saw 25 ms let an eleventh in at 10/s). A
  // twentieth of the window, at most 100 ms: 50 ms at 10/s.
  static constexpr std::chrono::milliseconds k_max_margin{100};
  static std::chrono::milliseconds margin(std::chrono::milliseconds window) {
    return std::min(k_max_margin, window / 20);
  }

  RateBudget(RateLimit limit, Now now = {}, Sleep sleep = {});

  // Wait until a request may be sent, and count it. Returns how long it waited; returns
  // early (uncounted) when the sleep reports a signal.
  std::chrono::milliseconds acquire();
  // Hold every request of the account for `wait`: rate limited, or nothing remains of the
  // API's window until its reset.
  void pause(std::chrono::milliseconds wait);

  const RateLimit& limit() const { return m_limit; }
  // For -v: requests counted, requests that waited, and the time they waited in all.
  struct Totals {
    std::size_t requests = 0;
    std::size_t waited = 0;
    std::chrono::milliseconds wait{0};
  };
  Totals totals() const;

private:
  RateLimit m_limit;
  Now m_now;
  Sleep m_sleep;
  mutable std::mutex m_mutex;
  std::deque<Clock::time_point> m_sent; // within the window, oldest first
  Clock::time_point m_hold_until{};     // a 429 or an exhausted remaining count
  Totals m_totals;
};

} // namespace auditfetch
