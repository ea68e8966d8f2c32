#include "auditfetch/util/error.hpp"
#include "auditfetch/http/client.hpp"
#include "fakes/fake_transport.hpp"

#include <doctest/doctest.h>

using namespace auditfetch;
using namespace auditfetch::test;
using std::chrono::milliseconds;

namespace {

struct Fixture {
  FakeTransport transport;
  CapturingDiagnostics diagnostics;
  std::vector<milliseconds> sleeps;
  HttpClient client{transport, diagnostics, RetryPolicy{},
                    [this](milliseconds d) { sleeps.push_back(d); }};
};

HttpRequest get(std::string url, bool with_token = true) {
  HttpRequest r;
  r.url = std::move(url);
  if (with_token)
    r.set_header("Authorization", "Bearer s3cret");
  return r;
}

} // namespace

TEST_SUITE("client") {
  TEST_CASE("429 with Retry-After in seconds waits that long, then succeeds") {
    Fixture f;
    f.transport.respond(429, "{}", {{"Retry-After", "2"}});
    f.transport.respond(200, "ok");
    const auto response = f.client.send(get("https://api.example.com/a"));
    CHECK(response.status == 200);
    CHECK(f.sleeps == std::vector<milliseconds>{milliseconds{2000}});
    CHECK(f.transport.requests.size() == 2);
    REQUIRE(f.diagnostics.warnings.size() == 1);
    CHECK(f.diagnostics.warnings[0] == "HTTP 429; retrying in 2.0 s (1 of 3)");
  }

  TEST_CASE("Retry-After as an HTTP date") {
    const auto now = parse_rfc3339("2015-10-21T07:28:00Z");
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now) == milliseconds{30000});
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now) == milliseconds{0});
    CHECK(parse_retry_after("soon", now) == std::nullopt);
    CHECK(parse_retry_after(" 7 ", now) == milliseconds{7000});
  }

  TEST_CASE("5xx are retried with growing jittered backoff until the budget is spent") {
    Fixture f;
    for (int i = 0; i < 4; ++i)
      f.transport.respond(503);
    const auto response = f.client.send(get("https://api.example.com/a"));
    CHECK(response.status == 503);
    CHECK(f.transport.requests.size() == 4);
    REQUIRE(f.sleeps.size() == 3);
    CHECK(f.sleeps[0] >= milliseconds{250});
    CHECK(f.sleeps[0] <= milliseconds{500});
    CHECK(f.sleeps[2] >= milliseconds{1000});
    CHECK(f.sleeps[2] <= milliseconds{2000});
  }

  TEST_CASE("500 and 4xx are not retried") {
    Fixture f;
    f.transport.respond(500);
    CHECK(f.client.send(get("https://api.example.com/a")).status == 500);
    f.transport.respond(404);
    CHECK(f.client.send(get("https://api.example.com/a")).status == 404);
    CHECK(f.sleeps.empty());
  }

  TEST_CASE("network errors are retried, then reported with the number of tries") {
    Fixture f;
    for (int i = 0; i < 4; ++i)
      f.transport.fail("connect api.example.com:443: Connection refused");
    CHECK_THROWS_WITH_AS(f.client.send(get("https://api.example.com/a")),
                         "after 4 tries: connect api.example.com:443: Connection refused", Error);
  }

  TEST_CASE("--retries 0 fails at once") {
    FakeTransport transport;
    CapturingDiagnostics diagnostics;
    RetryPolicy policy;
    policy.retries = 0;
    HttpClient client(transport, diagnostics, policy, [](milliseconds) { FAIL("slept"); });
    transport.respond(429, "", {{"Retry-After", "1"}});
    CHECK(client.send(get("https://api.example.com/a")).status == 429);
  }

  TEST_CASE("a rate-limit reset epoch is waited for when there is no Retry-After") {
    std::mt19937_64 rng(1);
    HttpResponse r;
    r.status = 429;
    const auto now = parse_rfc3339("2024-05-01T00:00:00Z");
    const auto reset = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() + 7;
    r.headers = {{"X-Organization-Rate-Limit-Reset", std::to_string(reset)}};
    RetryPolicy policy;
    CHECK(retry_delay(&r, 0, policy, now, rng) != milliseconds{7000}); // a header the API did not declare
    policy.rate_limit.reset_header = "x-organization-rate-limit-reset";
    CHECK(retry_delay(&r, 0, policy, now, rng) == milliseconds{7000});
    policy.rate_limit.reset_unit = RateLimitSignals::Unit::seconds;
    r.headers = {{"X-Organization-Rate-Limit-Reset", "3"}};
    CHECK(retry_delay(&r, 0, policy, now, rng) == milliseconds{3000});
  }

  TEST_CASE("a rate limit without a wait starts at the definition's backoff and doubles") {
    std::mt19937_64 rng(1);
    const auto now = parse_rfc3339("2024-05-01T00:00:00Z");
    RetryPolicy policy;
    policy.rate_limit.backoff = milliseconds{1000};
    HttpResponse r;
    r.status = 429; // no Retry-After, no reset header: Duo
    for (int attempt = 0; attempt < 3; ++attempt) {
      const auto wait = retry_delay(&r, attempt, policy, now, rng);
      REQUIRE(wait);
      CHECK(*wait >= milliseconds{1000 << attempt});
      CHECK(*wait <= milliseconds{1500 << attempt});
    }
    r.headers = {{"Retry-After", "3"}}; // what the server asks still wins
    CHECK(retry_delay(&r, 0, policy, now, rng) == milliseconds{3000});
    r.headers.clear();
    r.status = 502; // not a rate limit: the general backoff
    CHECK(*retry_delay(&r, 0, policy, now, rng) <= milliseconds{500});
  }

  TEST_CASE("a 403 is a rate limit only when the definition says so and none remain") {
    std::mt19937_64 rng(1);
    const auto now = parse_rfc3339("2024-05-01T00:00:00Z");
    RetryPolicy policy;
    policy.rate_limit = {"x-ratelimit-reset", RateLimitSignals::Unit::epoch_seconds,
                         "x-ratelimit-remaining", {403}, {}, {}, {}};
    HttpResponse r;
    r.status = 403;
    const auto reset = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() + 2;
    r.headers = {{"x-ratelimit-remaining", "12"}, {"x-ratelimit-reset", std::to_string(reset)}};
    CHECK_FALSE(is_rate_limited(r, policy.rate_limit));
    CHECK_FALSE(retry_delay(&r, 0, policy, now, rng)); // a real refusal
    r.headers[0].value = "0";
    CHECK(is_rate_limited(r, policy.rate_limit));
    CHECK(retry_delay(&r, 0, policy, now, rng) == milliseconds{2000});
    r.headers = {{"Retry-After", "1"}}; // a secondary limit
    CHECK(retry_delay(&r, 0, policy, now, rng) == milliseconds{1000});
    r.headers[0].value = "3601";
    CHECK_FALSE(retry_delay(&r, 0, policy, now, rng)); // too long to wait
  }

  TEST_CASE("a Retry-After beyond the maximum is not waited for") {
    std::mt19937_64 rng(1);
    HttpResponse r;
    r.status = 429;
    r.headers = {{"Retry-After", "3600"}};
    CHECK(retry_delay(&r, 0, RetryPolicy{}, now_ms(), rng) == std::nullopt);
  }

  TEST_CASE("a redirect to another origin drops Authorization; same origin keeps it") {
    Fixture f;
    f.transport.respond(302, "", {{"Location", "/b"}});
    f.transport.respond(307, "", {{"Location", "https://other.example.com/c"}});
    f.transport.respond(200, "done");
    CHECK(f.client.send(get("https://api.example.com/a")).body == "done");
    REQUIRE(f.transport.requests.size() == 3);
    CHECK(f.transport.requests[1].url == "https://api.example.com/b");
    CHECK(f.transport.requests[1].header("Authorization") == "Bearer s3cret");
    CHECK(f.transport.requests[2].url == "https://other.example.com/c");
    CHECK(f.transport.requests[2].header("Authorization") == std::nullopt);
  }

  TEST_CASE("more than 5 redirects is an error") {
    Fixture f;
    f.transport.always([](const HttpRequest&) {
      HttpResponse r;
      r.status = 301;
      r.headers = {{"Location", "https://api.example.com/loop"}};
      return r;
    });
    CHECK_THROWS_WITH_AS(f.client.send(get("https://api.example.com/a")),
                         "more than 5 redirects, last to https://api.example.com/loop", Error);
    CHECK(f.transport.requests.size() == 6);
  }

  TEST_CASE("credentials are never sent over plain http except to loopback") {
    Fixture f;
    CHECK_THROWS_WITH_AS(f.client.send(get("http://api.example.com/a")),
                         "refusing to send credentials over plain http to api.example.com", Error);
    CHECK(f.transport.requests.empty());
    f.transport.respond(200);
    CHECK(f.client.send(get("http://127.0.0.1:8080/a")).status == 200);
    f.transport.respond(200);
    CHECK(f.client.send(get("http://api.example.com/a", false)).status == 200);
  }

  TEST_CASE("the verbose log redacts secrets in URLs") {
    Fixture f;
    f.transport.respond(200);
    f.client.send(get("https://api.example.com/a?access_token=abc&limit=5"));
    REQUIRE(f.diagnostics.verbose_lines.size() == 1);
    const auto& line = f.diagnostics.verbose_lines[0];
    CHECK(line.rfind("GET https://api.example.com/a?access_token=REDACTED&limit=5: 200 (", 0) == 0);
    CHECK(line.find("abc") == std::string::npos);
  }
}
