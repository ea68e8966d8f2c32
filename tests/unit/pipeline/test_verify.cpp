#include "auditfetch/pipeline/verify.hpp"
#include "auditfetch/util/error.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdio>
#include <unistd.h>

using namespace auditfetch;
using namespace auditfetch::test;

namespace {

LineScope pingone_scope(Query query = {}) {
  if (!query.since)
    query.since = parse_rfc3339("2024-05-01T00:00:00Z");
  if (!query.until)
    query.until = parse_rfc3339("2024-06-01T00:00:00Z");
  return line_scope(pingone_context(), query);
}

std::string line(std::string_view id, std::string_view created_at = "2024-05-10T00:00:00.000Z",
                 std::string_view provider = "pingone", std::string_view organization = k_env_id,
                 std::string_view action = "login") {
  return fmt::format(R"({{"id":"{}","actor":{{"type":"user","user":{{"id":"u1"}}}},"organization":"{}",)"
                     R"("action":"{}","entity":"e1","entity_type":"USER","created_at":"{}","provider":"{}"}})",
                     id, organization, action, created_at, provider);
}

} // namespace

TEST_SUITE("verify") {
  TEST_CASE("the tally counts missing, duplicated, outside and unknown ids") {
    IdTally tally;
    tally.add_file("a", true);
    tally.add_file("b", true);
    tally.add_file("b", true);      // twice in the files, served once: duplicated
    tally.add_file("old", false);   // not served, outside the window
    tally.add_file("ghost", true);  // not served, inside: unknown to the API
    CHECK_FALSE(tally.add_served("a"));
    CHECK_FALSE(tally.add_served("b"));
    CHECK(tally.add_served("c"));   // not in the files: missing
    CHECK(tally.add_served("a"));   // served twice, in the files once: the second is missing
    const auto t = tally.totals();
    CHECK(t.served == 4);
    CHECK(t.in_files == 5);
    CHECK(t.missing == 2);
    CHECK(t.duplicated == 1);
    CHECK(t.outside == 1);
    CHECK(t.unknown == 1);
    CHECK(tally.distinct_ids() == 5);
  }

  TEST_CASE("the tally keeps ids apart across index growth") {
    IdTally tally;
    constexpr int n = 200000;
    for (int i = 0; i < n; ++i)
      tally.add_file(fmt::format("id-{}", i), true);
    for (int i = 0; i < n; i += 2)
      CHECK_FALSE(tally.add_served(fmt::format("id-{}", i)));
    CHECK(tally.add_served("id-x"));
    const auto t = tally.totals();
    CHECK(tally.distinct_ids() == n + 1);
    CHECK(t.missing == 1);
    CHECK(t.unknown == n / 2);
    CHECK(t.duplicated == 0);
  }

  TEST_CASE("lines are activities of this provider and account, of another, or none") {
    const auto scope = pingone_scope();
    CHECK(scope.organization == k_env_id);
    const auto ok = classify_line(line("a1"), scope);
    CHECK(ok.kind == FileLine::Kind::activity);
    CHECK(ok.id == "a1");
    CHECK(ok.in_scope);
    CHECK(classify_line("", scope).kind == FileLine::Kind::blank);
    CHECK(classify_line("  \r", scope).kind == FileLine::Kind::blank);
    CHECK(classify_line("not json", scope).kind == FileLine::Kind::not_activity);
    CHECK(classify_line("[1,2]", scope).kind == FileLine::Kind::not_activity);
    CHECK(classify_line(R"({"id":1,"provider":"pingone","created_at":"2024-05-10T00:00:00Z"})", scope).kind ==
          FileLine::Kind::not_activity);
    CHECK(classify_line(R"({"id":"x","provider":"pingone","created_at":"yesterday"})", scope).kind ==
          FileLine::Kind::not_activity);
    CHECK(classify_line(line("a1", "2024-05-10T00:00:00.000Z", "okta"), scope).kind == FileLine::Kind::other_account);
    CHECK(classify_line(line("a1", "2024-05-10T00:00:00.000Z", "pingone", "other-env"), scope).kind ==
          FileLine::Kind::other_account);
    // Printed with --fields: without the organization the line cannot say, and counts.
    CHECK(classify_line(R"({"id":"x","provider":"pingone","created_at":"2024-05-10T00:00:00Z"})", scope).kind ==
          FileLine::Kind::activity);
  }

  TEST_CASE("a line is in scope inside the window and the filters it shows") {
    CHECK_FALSE(classify_line(line("a", "2024-04-30T23:59:59.999Z"), pingone_scope()).in_scope);
    CHECK(classify_line(line("a", "2024-05-01T00:00:00.000Z"), pingone_scope()).in_scope);
    CHECK_FALSE(classify_line(line("a", "2024-06-01T00:00:00.000Z"), pingone_scope()).in_scope);
    Query query;
    query.actions = {"login_failed"};
    CHECK_FALSE(classify_line(line("a"), pingone_scope(query)).in_scope);
    query.actions = {"login_failed", "login"};
    CHECK(classify_line(line("a"), pingone_scope(query)).in_scope);
    query.actions = {"USER.ACCESS_ALLOWED"}; // native: a line shows the unified action only
    CHECK(classify_line(line("a"), pingone_scope(query)).in_scope);
    query = {};
    query.actor_id = "u2";
    CHECK_FALSE(classify_line(line("a"), pingone_scope(query)).in_scope);
    query.actor_id = "u1";
    query.entity_type = "USER";
    CHECK(classify_line(line("a"), pingone_scope(query)).in_scope);
  }

  TEST_CASE("files are read line by line, the last without its newline too") {
    const auto scope = pingone_scope();
    char path[] = "/tmp/auditfetch-verify-XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    std::string text = line("a") + "\n" + line("b") + "\n\nnot json\n" + line("c", "2024-05-10T00:00:00.000Z", "okta") +
                       "\n" + line("b");
    REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fd);
    IdTally tally;
    const auto counts = read_activity_files({path}, -1, scope, tally);
    CHECK(counts.lines == 5);
    CHECK(counts.not_activities == 1);
    CHECK(counts.other_account == 1);
    CHECK(tally.totals().in_files == 3);
    CHECK(tally.distinct_ids() == 2);
    CHECK_THROWS_AS(read_activity_files({std::string(path) + ".absent"}, -1, scope, tally), Error);
    ::unlink(path);
  }
}
