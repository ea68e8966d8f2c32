#pragma once
// Policy on top of a Transport: retries with backoff, redirects, the plain-HTTP credential
// rule and the -v request log. Pure logic; tested with a fake transport.

#include "auditfetch/http/types.hpp"
#include "auditfetch/time/time.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>

namespace auditfetch {

// Where diagnostics go (stderr in the binary, a string in tests).
class Diagnostics {
public:
  virtual ~Diagnostics() = default;
  // Print "auditfetch: <line>" when verbose.
  virtual void verbose(const std::string& line) = 0;
  // Print "auditfetch: warning: <line>" always.
  virtual void warning(const std::string& line) = 0;
  virtual bool is_verbose() const = 0;
};

struct RetryPolicy {
  int retries = 3; // after the first try
  std::chrono::milliseconds base{500};
  std::chrono::milliseconds cap{30000};
  std::chrono::milliseconds max_retry_after{300000}; // a longer Retry-After fails at once
};

// Return how long to wait before retry number `attempt` (0-based) after `response`
// (nullptr: a network error), or nullopt when it must not be retried (not retryable, or a
// Retry-After beyond the policy's maximum). Honours Retry-After as seconds or HTTP date
// for 429 and 503; otherwise exponential backoff with jitter from `rng`.
std::optional<std::chrono::milliseconds> retry_delay(const HttpResponse* response, int attempt,
                                                     const RetryPolicy& policy, Timestamp now,
                                                     std::mt19937_64& rng);

// Return true for statuses worth retrying: 429, 502, 503, 504.
bool is_retryable_status(int status);

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
};

} // namespace auditfetch
