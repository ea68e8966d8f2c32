#include "auditfetch/pipeline/slices.hpp"
#include "auditfetch/provider/registry.hpp"
#include "auditfetch/time/time.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace auditfetch;
using namespace auditfetch::test;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

Timestamp at(const char* text) { return parse_rfc3339(text); }

// Every instant of [since, until) in exactly one slice, in reading order.
void check_cover(const std::vector<TimeSlice>& slices, Timestamp since, Timestamp until, Order order) {
  REQUIRE_FALSE(slices.empty());
  auto ordered = slices;
  if (order == Order::newest_first)
    std::reverse(ordered.begin(), ordered.end());
  CHECK(ordered.front().since == since);
  CHECK(ordered.back().until == until);
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    CHECK(ordered[i].since < ordered[i].until);
    if (i > 0)
      CHECK(ordered[i].since == ordered[i - 1].until);
  }
}

} // namespace

TEST_SUITE("slices") {
  TEST_CASE("a window is cut into equal slices on whole seconds, covering it once, in reading order") {
    const auto since = at("2024-05-01T00:00:00.250Z"), until = at("2024-05-02T00:00:00.750Z");
    for (const auto order : {Order::oldest_first, Order::newest_first}) {
      const auto slices = split_window(since, until, 8, order);
      CHECK(slices.size() == 8);
      check_cover(slices, since, until, order);
      for (const auto& slice : slices) {
        if (slice.since != since)
          CHECK(slice.since == std::chrono::floor<seconds>(slice.since));
      }
      // Newest first reads the latest slice first.
      if (order == Order::newest_first)
        CHECK(slices.front().until == until);
      else
        CHECK(slices.front().since == since);
    }
  }

  TEST_CASE("a short window gets fewer slices, none shorter than a second") {
    const auto since = at("2024-05-01T00:00:00Z");
    CHECK(split_window(since, since + seconds{3}, 8, Order::oldest_first).size() == 3);
    CHECK(split_window(since, since + milliseconds{400}, 8, Order::oldest_first) ==
          std::vector<TimeSlice>{{since, since + milliseconds{400}}});
    CHECK(split_window(since, since, 8, Order::oldest_first).empty());
  }

  TEST_CASE("a dense first page cuts the rest of its slice for the free connections") {
    const TimeSlice slice{at("2024-05-01T00:00:00Z"), at("2024-05-01T10:00:00Z")};
    SUBCASE("newest first: the page spans the last hour; what it holds whole is kept") {
      const auto split = split_dense(slice, at("2024-05-01T09:00:00.500Z"), at("2024-05-01T09:59:00Z"),
                                     Order::newest_first, 4);
      REQUIRE(split);
      // Records at 09:00:00.xxx may go on over the next page: they belong to the rest.
      CHECK(split->kept == TimeSlice{at("2024-05-01T09:00:01Z"), slice.until});
      CHECK(split->rest.size() == 4);
      check_cover(split->rest, slice.since, at("2024-05-01T09:00:01Z"), Order::newest_first);
    }
    SUBCASE("oldest first, symmetric") {
      const auto split = split_dense(slice, at("2024-05-01T00:00:10Z"), at("2024-05-01T01:00:00.500Z"),
                                     Order::oldest_first, 3);
      REQUIRE(split);
      CHECK(split->kept == TimeSlice{slice.since, at("2024-05-01T01:00:00Z")});
      CHECK(split->rest.size() == 3);
      check_cover(split->rest, at("2024-05-01T01:00:00Z"), slice.until, Order::oldest_first);
    }
    SUBCASE("not when about one page is left, nor within one second, nor for one connection") {
      CHECK_FALSE(split_dense(slice, at("2024-05-01T04:00:00Z"), at("2024-05-01T09:59:00Z"), Order::newest_first, 4));
      CHECK_FALSE(split_dense(slice, at("2024-05-01T00:00:00.100Z"), at("2024-05-01T00:00:00.900Z"),
                              Order::oldest_first, 4));
      CHECK_FALSE(split_dense(slice, at("2024-05-01T09:00:00Z"), at("2024-05-01T09:59:00Z"), Order::newest_first, 1));
    }
  }

  TEST_CASE("which listings can be sliced is decided from the definition, never the name") {
    const auto now = at("2024-07-01T00:00:00Z");
    const auto sliceable = [&](const std::string& name, std::map<std::string, std::string> settings, Query query,
                               bool with_state = false) {
      auto context = resolve_context(registry().find(name), settings, std::nullopt, env_of({}));
      const auto plan = plan_list(context, query, now);
      return plan_slices(context, query, plan, now, 8, false, with_state);
    };
    Query window;
    window.since = at("2024-06-01T00:00:00Z");
    window.until = at("2024-06-02T00:00:00Z");
    const auto pingone = sliceable("pingone", {{"environment-id", "e"}}, window);
    CHECK_FALSE(pingone.refusal);
    CHECK(pingone.plans.size() == 8);
    CHECK(pingone.plans.front().filter.until == window.until); // newest first: the last slice first
    // A checkpoint cursor that ignores time filters.
    const auto auth0 = sliceable("auth0", {{"domain", "acme.auth0.com"}}, window);
    REQUIRE(auth0.refusal);
    CHECK(auth0.refusal->find("checkpoint") != std::string::npos);
    // No defined order.
    const auto truto = sliceable("truto", {{"integrated-account-id", "a"}}, window);
    REQUIRE(truto.refusal);
    CHECK(truto.refusal->find("order") != std::string::npos);
    // --limit is read in order.
    auto limited = window;
    limited.limit = 10;
    CHECK(sliceable("pingone", {{"environment-id", "e"}}, limited).refusal);
    // A resume point in the state file belongs to one sequence of pages.
    const auto okta = sliceable("okta", {{"domain", "acme.okta.com"}}, window, true);
    REQUIRE(okta.refusal);
    CHECK(okta.refusal->find("resume point") != std::string::npos);
    CHECK_FALSE(sliceable("okta", {{"domain", "acme.okta.com"}}, window).refusal);
  }
}
