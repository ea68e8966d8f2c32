#include "auditfetch/http/client.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/http/url.hpp"
#include "auditfetch/util/interrupt.hpp"

#include <date/date.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <locale>
#include <sstream>
#include <thread>

namespace auditfetch {
namespace {

constexpr int k_max_redirects = 5;

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string describe_wait(std::chrono::milliseconds wait) {
  if (wait < std::chrono::seconds{1})
    return fmt::format("{} ms", wait.count());
  return fmt::format("{:.1f} s", static_cast<double>(wait.count()) / 1000.0);
}

std::optional<std::chrono::milliseconds> reset_header_wait(const HttpResponse& response,
                                                           const RateLimitSignals& signals,
                                                           Timestamp now) {
  if (signals.reset_header.empty())
    return std::nullopt;
  // Some APIs send the reset of their window on every response (GitHub): it says when to come
  // back only when nothing remains of the window.
  if (!signals.remaining_header.empty())
    if (const auto remaining = response.header(signals.remaining_header); remaining && *remaining != "0")
      return std::nullopt;
  const auto header = response.header(signals.reset_header);
  if (!header)
    return std::nullopt;
  long long value = 0;
  auto [ptr, ec] = std::from_chars(header->data(), header->data() + header->size(), value);
  if (ec != std::errc{} || value < 0)
    return std::nullopt;
  using Unit = RateLimitSignals::Unit;
  if (signals.reset_unit == Unit::seconds)
    return std::chrono::milliseconds{value * 1000};
  const Timestamp at{signals.reset_unit == Unit::epoch_ms ? std::chrono::milliseconds{value}
                                                          : std::chrono::milliseconds{value * 1000}};
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(at - now),
                  std::chrono::milliseconds{0});
}

} // namespace

std::optional<std::chrono::milliseconds> server_requested_wait(const HttpResponse& response,
                                                               const RateLimitSignals& signals,
                                                               Timestamp now) {
  if (auto header = response.header("Retry-After"))
    if (auto wait = parse_retry_after(*header, now))
      return wait;
  return reset_header_wait(response, signals, now);
}

bool is_retryable_status(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

bool is_rate_limited(const HttpResponse& response, const RateLimitSignals& signals) {
  if (response.status == 429)
    return true;
  if (std::find(signals.statuses.begin(), signals.statuses.end(), response.status) ==
      signals.statuses.end())
    return false;
  if (response.header("Retry-After"))
    return true;
  if (!signals.body_contains.empty() && response.body.find(signals.body_contains) != std::string::npos)
    return true;
  const auto remaining =
      signals.remaining_header.empty() ? std::nullopt : response.header(signals.remaining_header);
  return remaining && *remaining == "0";
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, Timestamp now) {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty())
    return std::nullopt;
  long long seconds = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc{} && ptr == value.data() + value.size())
    return seconds < 0 ? std::nullopt
                       : std::optional(std::chrono::milliseconds{seconds * 1000});
  std::istringstream in{std::string(value)};
  in.imbue(std::locale::classic());
  date::sys_seconds when;
  in >> date::parse("%a, %d %b %Y %H:%M:%S GMT", when);
  if (in.fail())
    return std::nullopt;
  const auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(when - now);
  return std::max(delta, std::chrono::milliseconds{0});
}

std::optional<std::chrono::milliseconds> retry_delay(const HttpResponse* response, int attempt,
                                                     const RetryPolicy& policy, Timestamp now,
                                                     std::mt19937_64& rng) {
  if (attempt >= policy.retries)
    return std::nullopt;
  const bool rate_limited = response && is_rate_limited(*response, policy.rate_limit);
  if (response && !rate_limited && !is_retryable_status(response->status))
    return std::nullopt;
  if (response && (rate_limited || response->status == 503)) {
    if (auto wait = server_requested_wait(*response, policy.rate_limit, now)) {
      if (*wait > policy.max_retry_after)
        return std::nullopt;
      return *wait;
    }
  }
  const auto exponent = std::min(attempt, 20);
  if (rate_limited && policy.rate_limit.backoff.count() > 0) {
    // The API's own minimum, doubled each time, plus up to half again of jitter.
    const auto full = std::min<long long>(policy.cap.count(), policy.rate_limit.backoff.count() << exponent);
    std::uniform_int_distribution<long long> jitter(0, full / 2);
    return std::chrono::milliseconds{full + jitter(rng)};
  }
  // Exponential backoff with "equal jitter": half fixed, half random, so that clients that
  // failed together do not retry together.
  const auto full = std::min<long long>(policy.cap.count(), policy.base.count() << exponent);
  std::uniform_int_distribution<long long> jitter(0, full / 2);
  return std::chrono::milliseconds{full - full / 2 + jitter(rng)};
}

void require_secure_for_credentials(const std::string& url) {
  const auto origin = origin_of(url);
  if (origin.scheme == "http" && !is_loopback_host(origin.host))
    throw Error(ErrorKind::usage,
                fmt::format("refusing to send credentials over plain http to {}", origin.host),
                "use an https:// URL (plain http is allowed only for loopback addresses)");
}

HttpClient::HttpClient(Transport& transport, Diagnostics& diagnostics, RetryPolicy policy,
                       Sleep sleep)
    : m_transport(transport), m_diagnostics(diagnostics), m_policy(policy),
      m_sleep(sleep ? std::move(sleep)
                    : Sleep([&transport](std::chrono::milliseconds d) {
                        // Cut short when the transport is cancelled: the next send then fails.
                        const auto until = std::chrono::steady_clock::now() + d;
                        while (!transport.cancelled() && std::chrono::steady_clock::now() < until)
                          std::this_thread::sleep_for(std::min(d, std::chrono::milliseconds{50}));
                      })),
      m_rng(std::random_device{}()) {}

HttpResponse HttpClient::send_with_retries(const HttpRequest& request) {
  for (int attempt = 0;; ++attempt) {
    std::optional<HttpResponse> response;
    std::optional<Error> failure;
    std::chrono::milliseconds budget_wait{0};
    if (m_budget) {
      budget_wait = m_budget->acquire();
      if (interrupted())
        throw Error(ErrorKind::interrupted, "interrupted while waiting for the rate budget");
    }
    try {
      response = m_transport.send(request);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::interrupted)
        throw; // cancelled: never tried again
      failure = e;
    }
    const auto printable = redact_url(request.url);
    const auto waited = budget_wait.count() > 0
                            ? fmt::format(", after {} for the rate budget", describe_wait(budget_wait))
                            : std::string();
    if (response)
      m_diagnostics.verbose(fmt::format("{} {}: {} ({} ms{})", request.method, printable,
                                        response->status, response->elapsed.count(), waited));
    else
      m_diagnostics.verbose(fmt::format("{} {}: {}{}", request.method, printable, failure->what(), waited));

    const auto now = now_ms();
    if (m_budget && response && !m_policy.rate_limit.remaining_header.empty())
      if (const auto remaining = response->header(m_policy.rate_limit.remaining_header); remaining == "0")
        // Nothing left of the window: every connection waits for its reset, unless that is
        // further off than any wait the policy accepts (the next answer then says so).
        if (const auto reset = reset_header_wait(*response, m_policy.rate_limit, now);
            reset && *reset <= m_policy.max_retry_after)
          m_budget->pause(*reset);

    const auto wait = retry_delay(response ? &*response : nullptr, attempt, m_policy, now, m_rng);
    if (!wait) {
      if (response)
        return std::move(*response);
      if (attempt > 0)
        throw failure->with_context(fmt::format("after {} tries", attempt + 1));
      throw *failure;
    }
    const auto cause = response ? fmt::format("HTTP {}", response->status) : std::string(failure->what());
    m_diagnostics.warning(fmt::format("{}; retrying in {} ({} of {})", cause, describe_wait(*wait),
                                      attempt + 1, m_policy.retries));
    // Rate limited: the whole account waits (the budget holds every connection's next
    // request); anything else waits here.
    if (m_budget && response && is_rate_limited(*response, m_policy.rate_limit))
      m_budget->pause(*wait);
    else
      m_sleep(*wait);
  }
}

HttpResponse HttpClient::send(HttpRequest request) {
  if (request.header("Authorization"))
    require_secure_for_credentials(request.url);
  for (int redirects = 0;; ++redirects) {
    auto response = send_with_retries(request);
    if (!is_redirect(response.status))
      return response;
    const auto location = response.header("Location");
    if (!location)
      return response;
    if (redirects == k_max_redirects)
      throw Error(ErrorKind::remote,
                  fmt::format("more than {} redirects, last to {}", k_max_redirects,
                              redact_url(resolve_url(request.url, *location))),
                  "check --base-url; a redirect loop is a server or proxy misconfiguration");
    const auto target = resolve_url(request.url, *location);
    const auto from = origin_of(request.url);
    const auto to = origin_of(target, "redirect");
    // Credentials are for the origin they were given to; another host never sees them.
    if (from != to)
      request.remove_header("Authorization");
    if (response.status == 303 || ((response.status == 301 || response.status == 302) &&
                                   request.method == "POST")) {
      request.method = "GET";
      request.body.clear();
      request.remove_header("Content-Type");
    }
    m_diagnostics.verbose(fmt::format("redirected ({}) to {}{}", response.status,
                                      redact_url(target),
                                      from != to ? " (another origin: credentials dropped)" : ""));
    request.url = target;
    if (request.header("Authorization"))
      require_secure_for_credentials(request.url);
  }
}

} // namespace auditfetch
