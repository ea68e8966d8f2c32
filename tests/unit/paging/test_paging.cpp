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
    Pager pager(spec(), k_base);
    const auto next = pager.next_request(first(), page);
    REQUIRE(next);
    CHECK(next->url == "https://api.pingone.com/v1/environments/e/activities?limit=2&cursor=abc");
  }

  TEST_CASE("no next link ends the listing") {
    const auto page = parse_page(spec(), ok(R"({"_embedded":{"activities":[]},"_links":{}})"), 1,
                                 first().url);
    Pager pager(spec(), k_base);
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
    Pager pager(spec(), k_base);
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
    Pager pager(spec(), k_base);
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
    CHECK(page.records->at(0).at("id") == "1");
    CHECK_THROWS_AS(parse_record(spec(), ok("[1]"), "u"), Error);
  }
}
