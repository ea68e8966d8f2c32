#include "auditfetch/error.hpp"
#include "auditfetch/paging/paging.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace auditfetch;
using namespace auditfetch::test;

namespace {

HttpResponse ok(std::string body) {
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "application/json"}};
  return r;
}

const ProviderSpec& spec() { return registry().find("pingone"); }
const std::string k_base = "https://api.pingone.com/v1";

HttpRequest first() {
  HttpRequest r;
  r.url = k_base + "/environments/e/activities?limit=2";
  return r;
}

} // namespace

TEST_SUITE("paging") {
  TEST_CASE("records come from _embedded.activities and the next link is followed") {
    const auto page = parse_page(
        spec(),
        ok(R"({"_embedded":{"activities":[{"id":"1"},{"id":"2"}]},"_links":{"next":{"href":"https://api.pingone.com/v1/environments/e/activities?limit=2&cursor=abc"}}})"),
        1, first().url);
    CHECK(page.records->size() == 2);
    Pager pager(spec(), k_base, 2);
    const auto next = pager.next_request(first(), page);
    REQUIRE(next);
    CHECK(next->url == "https://api.pingone.com/v1/environments/e/activities?limit=2&cursor=abc");
  }

  TEST_CASE("no next link ends the listing") {
    const auto page = parse_page(spec(), ok(R"({"_embedded":{"activities":[]},"_links":{}})"), 1,
                                 first().url);
    Pager pager(spec(), k_base, 2);
    CHECK_FALSE(pager.next_request(first(), page));
  }

  TEST_CASE("a page without _embedded is empty") {
    const auto page = parse_page(spec(), ok(R"({"_links":{}})"), 1, first().url);
    CHECK(page.records->empty());
  }

  TEST_CASE("a next link to another host is refused") {
    const auto page = parse_page(
        spec(), ok(R"({"_embedded":{"activities":[]},"_links":{"next":{"href":"https://evil.example/x"}}})"),
        3, first().url);
    Pager pager(spec(), k_base, 2);
    CHECK_THROWS_WITH_AS(pager.next_request(first(), page),
                         "page 3: refusing the next link to https://evil.example: not the API's "
                         "origin https://api.pingone.com",
                         Error);
  }

  TEST_CASE("a next link that repeats a page is a loop") {
    const auto page = parse_page(
        spec(),
        ok(R"({"_embedded":{"activities":[]},"_links":{"next":{"href":"https://api.pingone.com/v1/environments/e/activities?limit=2"}}})"),
        2, first().url);
    Pager pager(spec(), k_base, 2);
    CHECK_THROWS_WITH_AS(pager.next_request(first(), page),
                         "page 2: the next link repeats an earlier page; stopping a loop", Error);
  }

  TEST_CASE("invalid JSON names the status and content type") {
    auto response = ok("<html>oops</html>");
    response.headers = {{"Content-Type", "text/html"}};
    try {
      parse_page(spec(), response, 1, first().url);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::remote);
      CHECK(std::string(e.what()).rfind("invalid JSON (HTTP 200, text/html, 17 bytes): ", 0) == 0);
    }
  }

  TEST_CASE("records that are not an array are refused") {
    CHECK_THROWS_WITH_AS(parse_page(spec(), ok(R"({"_embedded":{"activities":{"id":"1"}}})"), 1,
                                    first().url),
                         "records at \"/_embedded/activities\" are not an array", Error);
  }

  TEST_CASE("a get response becomes a one-record page") {
    const auto page = parse_record(spec(), ok(R"({"id":"1","recordedAt":"x"})"), "u");
    REQUIRE(page.records->size() == 1);
    CHECK(page.records->at(0)["id"].get_string().value() == "1");
    CHECK_THROWS_AS(parse_record(spec(), ok("[1]"), "u"), Error);
  }
}

TEST_SUITE("paging") {
  TEST_CASE("a page whose records are the body itself survives a move") {
    const auto& sailpoint = registry().find("sailpoint");
    auto page = parse_page(sailpoint, ok(R"([{"id":"a"},{"id":"b"}])"), 1, "https://x/a");
    Page moved = std::move(page);
    REQUIRE(moved.records->size() == 2);
    CHECK(moved.records->at(1)["id"].get_string().value() == "b");
  }

  TEST_CASE("a cursor is sent back as a parameter, other parameters unchanged") {
    const auto& truto = registry().find("truto");
    HttpRequest current;
    current.url = "https://api.truto.one/unified/user-directory/activities?integrated_account_id=x&limit=2";
    const auto page = parse_page(truto, ok(R"({"result":[{"id":"1"}],"next_cursor":"c1"})"), 1, current.url);
    Pager pager(truto, "https://api.truto.one", 2);
    const auto next = pager.next_request(current, page);
    REQUIRE(next);
    CHECK(next->url == current.url + "&next_cursor=c1");
    const auto last = parse_page(truto, ok(R"({"result":[],"next_cursor":null})"), 2, next->url);
    CHECK_FALSE(pager.next_request(*next, last));
  }

  TEST_CASE("a cursor the API already gave is a loop") {
    const auto& truto = registry().find("truto");
    HttpRequest current;
    current.url = "https://api.truto.one/a?next_cursor=c1";
    const auto page = parse_page(truto, ok(R"({"result":[],"next_cursor":"c1"})"), 4, current.url);
    Pager pager(truto, "https://api.truto.one", 2);
    CHECK_THROWS_WITH_AS(pager.next_request(current, page),
                         "page 4: the API returned a cursor it returned before; stopping a loop", Error);
  }

  TEST_CASE("offset paging stops on a short page and continues by keyset past the cap") {
    auto sailpoint = registry().find("sailpoint");
    sailpoint.list.pagination.max_offset = 2;
    std::vector<Timestamp> restarts;
    Pager pager(sailpoint, "https://t.api.identitynow.com/v3", 2, [&](Timestamp since) {
      restarts.push_back(since);
      HttpRequest r;
      r.url = "https://t.api.identitynow.com/v3/account-activities?limit=2&since=" + format_rfc3339_ms(since);
      return r;
    });
    HttpRequest first;
    first.url = "https://t.api.identitynow.com/v3/account-activities?limit=2";
    auto p1 = parse_page(sailpoint, ok(R"([{"id":"a","created":"2024-05-01T00:00:01Z"},{"id":"b","created":"2024-05-01T00:00:02Z"}])"), 1, first.url);
    pager.accept(p1);
    auto r2 = pager.next_request(first, p1);
    REQUIRE(r2);
    CHECK(r2->url == first.url + "&offset=2");
    auto p2 = parse_page(sailpoint, ok(R"([{"id":"c","created":"2024-05-01T00:00:03Z"},{"id":"d","created":"2024-05-01T00:00:03Z"}])"), 2, r2->url);
    pager.accept(p2);
    auto r3 = pager.next_request(*r2, p2); // offset 4 > cap 2: keyset
    REQUIRE(r3);
    REQUIRE(restarts.size() == 1);
    CHECK(format_rfc3339_ms(restarts[0]) == "2024-05-01T00:00:03.000Z");
    // The restart sees c and d again at the boundary time: both dropped, e kept.
    auto p3 = parse_page(sailpoint, ok(R"([{"id":"c","created":"2024-05-01T00:00:03Z"},{"id":"d","created":"2024-05-01T00:00:03Z"},{"id":"e","created":"2024-05-01T00:00:04Z"}])"), 3, r3->url);
    pager.accept(p3);
    REQUIRE(p3.records->size() == 1);
    CHECK(p3.records->at(0)["id"].get_string().value() == "e");
  }
}

TEST_SUITE("paging ahead") {
  TEST_CASE("a next link in front of the records is the request the parsed page gives") {
    const std::string body =
        R"({"_links":{"self":{"href":"/v1/environments/e/activities?limit=2"},"next":{"href":"/v1/environments/e/activities?limit=2&cursor=abc"}},"_embedded":{"activities":[{"id":"1"},{"id":"2"}]}})";
    Pager pager(spec(), k_base, 2);
    const auto early = pager.early_next_request(first(), body);
    REQUIRE(early);
    const auto next = pager.next_request(first(), parse_page(spec(), ok(body), 1, first().url));
    REQUIRE(next);
    CHECK(early->url == next->url);
    CHECK(early->url == "https://api.pingone.com/v1/environments/e/activities?limit=2&cursor=abc");
  }

  TEST_CASE("a cursor is read ahead too; offsets wait for the page") {
    const auto& truto = registry().find("truto");
    HttpRequest current;
    current.url = "https://api.truto.one/unified/user-directory/activities?limit=2";
    Pager pager(truto, "https://api.truto.one", 2);
    const auto early = pager.early_next_request(current, R"({"next_cursor":"c1","result":[{"id":"1"}]})");
    REQUIRE(early);
    CHECK(early->url == current.url + "&next_cursor=c1");
    const auto& sailpoint = registry().find("sailpoint");
    Pager offsets(sailpoint, "https://t.api.identitynow.com", 2);
    HttpRequest search;
    search.url = "https://t.api.identitynow.com/v3/search?limit=2&offset=0";
    CHECK_FALSE(offsets.early_next_request(search, R"([{"id":"1"},{"id":"2"}])"));
  }

  TEST_CASE("nothing is asked for ahead that the parsed page would refuse or that is not there") {
    Pager pager(spec(), k_base, 2);
    // Another origin: next_request names the page and refuses; ahead, nothing is sent.
    CHECK_FALSE(pager.early_next_request(
        first(), R"({"_links":{"next":{"href":"https://evil.example/x"}},"_embedded":{}})"));
    // The page itself again.
    CHECK_FALSE(pager.early_next_request(
        first(), R"({"_links":{"next":{"href":")" + first().url + R"("}},"_embedded":{}})"));
    // A page already followed.
    const std::string page_2 = k_base + "/environments/e/activities?limit=2&cursor=b";
    const auto page = parse_page(
        spec(), ok(R"({"_links":{"next":{"href":")" + page_2 + R"("}}})"), 1, first().url);
    REQUIRE(pager.next_request(first(), page));
    HttpRequest second;
    second.url = page_2;
    CHECK_FALSE(pager.early_next_request(
        second, R"({"_links":{"next":{"href":")" + first().url + R"("}}})"));
    // Last page, links after the records (further than the scan goes), not a string.
    CHECK_FALSE(pager.early_next_request(first(), R"({"_links":{"self":{"href":"/x"}}})"));
    CHECK_FALSE(pager.early_next_request(
        first(), R"({"_embedded":{"activities":[)" + std::string(70000, ' ') +
                     R"(]},"_links":{"next":{"href":"/v1/environments/e/activities?cursor=z"}}})"));
    CHECK_FALSE(pager.early_next_request(first(), R"({"_links":{"next":{"href":null}}})"));
  }
}
