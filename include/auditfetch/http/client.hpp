#pragma once
// Policy on top of a Transport: retries with backoff, redirects, the plain-HTTP credential
// rule and the -v request log. Pure logic; tested with a fake transport.

#include "auditfetch/http/rate_budget.hpp"
#include "auditfetch/http/types.hpp"
#include "auditfetch/time/time.hpp"
#include "auditfetch/util/diagnostics.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace auditfetch {

// How an API announces its rate limit, beyond 429 with Retry-After (from the definition).
struct RateLimitSignals {
  enum class Unit { epoch_seconds, seconds, epoch_ms };
  std::string reset_header;     // when the limit resets, if the API says (X-Rate-Limit-Reset)
  Unit reset_unit = Unit::epoch_seconds;
  std::string remaining_header; // requests left in the window (X-Rate-Limit-Remaining)
  // Statuses besides 429 that mean "rate limited" when Retry-After is present, the remaining
  // count is 0, or the body holds `body_contains` (GitHub answers 403, its secondary limit
  // sometimes without either header).
  std::vector<int> statuses;
  std::string body_contains;
  // A rate limit that says nothing of when to come back waits this long, doubling on each
  // retry and never less (Duo and Google send no Retry-After; their clients start at 1 s).
  // Zero: the policy's general backoff.
  std::chrono::milliseconds backoff{0};
  // The documented limit, "budget": "5/10s": every request of the account draws on it (zero
  // requests: none documented; the run still slows for 429 and for the headers above).
  RateLimit budget;
};

struct RetryPolicy {
  int retries = 3; // after the first try
  std::chrono::milliseconds base{500};
  std::chrono::milliseconds cap{30000};
  std::chrono::milliseconds max_retry_after{300000}; // a longer Retry-After fails at once
  RateLimitSignals rate_limit;
};

// Return how long to wait before retry number `attempt` (0-based) after `response`
// (nullptr: a network error), or nullopt when it must not be retried (not retryable, or a
// wait beyond the policy's maximum). A rate limit (429, 503, or a status of
// policy.rate_limit.statuses that says so) waits as Retry-After (seconds or HTTP date) or the
// reset header says; otherwise exponential backoff with jitter from `rng`.
std::optional<std::chrono::milliseconds> retry_delay(const HttpResponse* response, int attempt,
                                                     const RetryPolicy& policy, Timestamp now,
                                                     std::mt19937_64& rng);

// Return true for statuses worth retrying: 429, 502, 503, 504.
bool is_retryable_status(int status);

// Return true when `response` says the client is rate limited: 429, or a status of
// signals.statuses with Retry-After, none remaining, or the body the signals name.
bool is_rate_limited(const HttpResponse& response, const RateLimitSignals& signals);

// How long the server asks to wait: Retry-After (seconds or an HTTP date), else the reset
// header of the signals when nothing remains; nullopt when it does not say.
std::optional<std::chrono::milliseconds> server_requested_wait(const HttpResponse& response,
                                                               const RateLimitSignals& signals,
                                                               Timestamp now);

// Parse a Retry-After value (delta seconds or IMF-fixdate) into a delay from `now`.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, Timestamp now);

// Throw Error(usage) when `url` is plain http to a host that is not loopback: credentials
// must not travel in clear text.
void require_secure_for_credentials(const std::string& url);

class HttpClient {
public:
  using Sleep = std::function<void(std::chrono::milliseconds)>;

  HttpClient(Transport& transport, Diagnostics& diagnostics, RetryPolicy policy = {},
             Sleep sleep = {});

  // Draw every request, retries included, on `budget` (shared by every client of one provider
  // account; it outlives the client). A rate-limited answer holds the whole budget, and a
  // remaining count of zero holds it until the reset the API names.
  void set_budget(RateBudget* budget) { m_budget = budget; }

  // Send, retrying network errors and retryable statuses, following up to 5 redirects
  // (GET and HEAD; 303 turns anything into GET) and dropping Authorization when a redirect
  // changes the origin. Returns the final response whatever its status; throws Error(remote)
  // when the network fails after the retries or redirects exceed the limit.
  HttpResponse send(HttpRequest request);

private:
  HttpResponse send_with_retries(const HttpRequest& request);

  Transport& m_transport;
  Diagnostics& m_diagnostics;
  RetryPolicy m_policy;
  Sleep m_sleep;
  std::mt19937_64 m_rng;
  RateBudget* m_budget = nullptr;
};

} // namespace auditfetch
