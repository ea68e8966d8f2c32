#include "auditfetch/http/rate_budget.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/util/interrupt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <thread>

namespace auditfetch {
namespace {

using std::chrono::milliseconds;

std::optional<milliseconds> period_of(std::string_view text) {
  if (text == "s" || text == "sec")
    return milliseconds{1000};
  if (text == "min" || text == "m")
    return milliseconds{60000};
  if (text == "h")
    return milliseconds{3600000};
  std::size_t count = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), count);
  if (error != std::errc{} || count == 0 || count > 86400)
    return std::nullopt;
  const auto unit = period_of(std::string_view(end, static_cast<std::size_t>(text.data() + text.size() - end)));
  if (!unit)
    return std::nullopt;
  return *unit * static_cast<long long>(count);
}

} // namespace

RateLimit parse_rate(const std::string& text, const std::string& what) {
  const auto fail = [&] {
    return Error(ErrorKind::usage, fmt::format("{}: '{}' is not a rate", what, text),
                 "write REQUESTS/PERIOD: 10/s, 5/10s, 50/min, 1000/h");
  };
  const auto slash = text.find('/');
  if (slash == std::string::npos)
    throw fail();
  std::size_t requests = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + slash, requests);
  if (error != std::errc{} || end != text.data() + slash || requests == 0 || requests > 1000000)
    throw fail();
  const auto period = period_of(std::string_view(text).substr(slash + 1));
  if (!period)
    throw fail();
  return RateLimit{requests, *period};
}

std::string rate_text(const RateLimit& limit) {
  const auto ms = limit.window.count();
  if (ms % 3600000 == 0)
    return ms == 3600000 ? fmt::format("{}/h", limit.requests) : fmt::format("{}/{}h", limit.requests, ms / 3600000);
  if (ms % 60000 == 0)
    return ms == 60000 ? fmt::format("{}/min", limit.requests) : fmt::format("{}/{}min", limit.requests, ms / 60000);
  if (ms % 1000 == 0)
    return ms == 1000 ? fmt::format("{}/s", limit.requests) : fmt::format("{}/{}s", limit.requests, ms / 1000);
  return fmt::format("{}/{}ms", limit.requests, ms);
}

RateBudget::RateBudget(RateLimit limit, Now now, Sleep sleep)
    : m_limit(limit), m_now(now ? std::move(now) : Now([] { return Clock::now(); })),
      m_sleep(sleep ? std::move(sleep) : Sleep([](milliseconds d) {
        // In steps, so that a signal ends the wait soon.
        const auto until = Clock::now() + d;
        while (Clock::now() < until) {
          if (interrupted())
            return false;
          std::this_thread::sleep_for(std::min<milliseconds>(
              std::chrono::duration_cast<milliseconds>(until - Clock::now()) + milliseconds{1}, milliseconds{50}));
        }
        return true;
      })) {}

milliseconds RateBudget::acquire() {
  milliseconds waited{0};
  for (;;) {
    milliseconds wait{0};
    {
      std::lock_guard lock(m_mutex);
      const auto now = m_now();
      const auto window = m_limit.window + margin(m_limit.window);
      while (!m_sent.empty() && m_sent.front() + window <= now)
        m_sent.pop_front();
      if (m_hold_until > now)
        wait = std::chrono::ceil<milliseconds>(m_hold_until - now);
      else if (m_limit.requests && m_sent.size() >= m_limit.requests)
        wait = std::chrono::ceil<milliseconds>(m_sent.front() + window - now);
      if (wait.count() <= 0) {
        if (m_limit.requests)
          m_sent.push_back(now);
        ++m_totals.requests;
        if (waited.count() > 0) {
          ++m_totals.waited;
          m_totals.wait += waited;
        }
        return waited;
      }
    }
    if (!m_sleep(wait))
      return waited;
    waited += wait;
  }
}

void RateBudget::pause(milliseconds wait) {
  std::lock_guard lock(m_mutex);
  m_hold_until = std::max(m_hold_until, m_now() + wait);
}

RateBudget::Totals RateBudget::totals() const {
  std::lock_guard lock(m_mutex);
  return m_totals;
}

} // namespace auditfetch
