#include "auditfetch/http/client.hpp"
#include "auditfetch/http/rate_budget.hpp"
#include "auditfetch/util/error.hpp"
#include "fakes/fake_transport.hpp"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

using namespace auditfetch;
using namespace auditfetch::test;
using std::chrono::milliseconds;

namespace {

// A clock that moves only when the budget sleeps.
struct FakeTime {
  RateBudget::Clock::time_point now{};
  std::vector<milliseconds> sleeps;
  RateBudget budget(RateLimit limit) {
    return RateBudget(
        limit, [this] { return now; },
        [this](milliseconds d) {
          sleeps.push_back(d);
          now += d;
          return true;
        });
  }
};

} // namespace

TEST_SUITE("rate budget") {
  TEST_CASE("a rate is REQUESTS/PERIOD, and reads back the same") {
    CHECK(parse_rate("10/s", "--rate") == RateLimit{10, milliseconds{1000}});
    CHECK(parse_rate("5/10s", "--rate") == RateLimit{5, milliseconds{10000}});
    CHECK(parse_rate("50/min", "--rate") == RateLimit{50, milliseconds{60000}});
    CHECK(parse_rate("1000/h", "--rate") == RateLimit{1000, milliseconds{3600000}});
    CHECK(rate_text(parse_rate("5/10s", "--rate")) == "5/10s");
    CHECK(rate_text(parse_rate("50/min", "--rate")) == "50/min");
    for (const auto* bad : {"10", "0/s", "-1/s", "10/", "10/0s", "ten/s", "10/fortnight", "10/s "})
      CHECK_THROWS_WITH_AS(parse_rate(bad, "--rate"), (std::string("--rate: '") + bad + "' is not a rate").c_str(),
                           Error);
  }

  TEST_CASE("no more than N requests in any window: the N+1st waits for the first to leave it") {
    FakeTime time;
    auto budget = time.budget({3, milliseconds{1000}});
    for (int i = 0; i < 3; ++i)
      CHECK(budget.acquire() == milliseconds{0});
    time.now += milliseconds{400};
    CHECK(budget.acquire() == milliseconds{1000 - 400 + 50}); // the margin: a twentieth of the window
    CHECK(budget.totals().requests == 4);
    CHECK(budget.totals().waited == 1);
  }

  TEST_CASE("without a limit of its own, only a pause holds requests") {
    FakeTime time;
    auto budget = time.budget({});
    for (int i = 0; i < 100; ++i)
      CHECK(budget.acquire() == milliseconds{0});
    budget.pause(milliseconds{1500});
    CHECK(budget.acquire() == milliseconds{1500});
    CHECK(budget.acquire() == milliseconds{0});
  }

  TEST_CASE("a 429 seen by one client holds the other clients of the account") {
    FakeTransport first_transport, second_transport;
    CapturingDiagnostics diagnostics;
    FakeTime time;
    auto budget = time.budget({});
    std::vector<milliseconds> client_sleeps;
    const auto sleep = [&](milliseconds d) { client_sleeps.push_back(d); };
    HttpClient first(first_transport, diagnostics, RetryPolicy{}, sleep);
    HttpClient second(second_transport, diagnostics, RetryPolicy{}, sleep);
    first.set_budget(&budget);
    second.set_budget(&budget);
    first_transport.respond(429, "{}", {{"Retry-After", "2"}});
    first_transport.respond(200, "ok");
    second_transport.respond(200, "ok");
    HttpRequest request;
    request.url = "https://api.example.com/a";
    CHECK(first.send(request).status == 200);
    // The first client's retry waited on the budget, not on its own sleep...
    CHECK(client_sleeps.empty());
    CHECK(time.sleeps == std::vector<milliseconds>{milliseconds{2000}});
    // ...and -v says so on the request line.
    REQUIRE(diagnostics.verbose_lines.size() == 2);
    CHECK(diagnostics.verbose_lines[1].find("after 2.0 s for the rate budget") != std::string::npos);
    // A pause is for every client of the account: set again, the second client waits too.
    budget.pause(milliseconds{700});
    CHECK(second.send(request).status == 200);
    CHECK(time.sleeps.back() == milliseconds{700});
  }

  TEST_CASE("a remaining count of zero holds requests until the reset the API names") {
    FakeTransport transport;
    CapturingDiagnostics diagnostics;
    FakeTime time;
    auto budget = time.budget({});
    RetryPolicy policy;
    policy.rate_limit.remaining_header = "X-Rate-Limit-Remaining";
    policy.rate_limit.reset_header = "X-Rate-Limit-Reset";
    policy.rate_limit.reset_unit = RateLimitSignals::Unit::seconds;
    HttpClient client(transport, diagnostics, policy, [](milliseconds) {});
    client.set_budget(&budget);
    transport.respond(200, "ok", {{"X-Rate-Limit-Remaining", "0"}, {"X-Rate-Limit-Reset", "3"}});
    transport.respond(200, "ok", {{"X-Rate-Limit-Remaining", "5"}, {"X-Rate-Limit-Reset", "60"}});
    HttpRequest request;
    request.url = "https://api.example.com/a";
    CHECK(client.send(request).status == 200);
    CHECK(time.sleeps.empty());
    CHECK(client.send(request).status == 200);
    CHECK(time.sleeps == std::vector<milliseconds>{milliseconds{3000}});
  }

  TEST_CASE("threads share the window") {
    RateBudget budget({5, milliseconds{200}});
    const auto start = RateBudget::Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        for (int i = 0; i < 5; ++i)
          budget.acquire();
      });
    for (auto& thread : threads)
      thread.join();
    // 20 requests at 5 per 200 ms: the last 5 cannot start before three windows have passed.
    CHECK(RateBudget::Clock::now() - start >= milliseconds{600});
    CHECK(budget.totals().requests == 20);
  }
}
