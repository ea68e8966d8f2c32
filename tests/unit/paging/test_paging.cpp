#include "auditfetch/paging/listing.hpp"
#include "auditfetch/util/error.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <deque>

using namespace auditfetch;
using namespace auditfetch::test;

namespace {

HttpResponse ok(std::string body, std::vector<Header> headers = {}) {
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "application/json"}};
  r.headers.insert(r.headers.end(), headers.begin(), headers.end());
  return r;
}

// A paging style from a definition's pagination object.
std::unique_ptr<PagingStyle> style(const std::string& json) {
  const auto value = boost::json::parse(json);
  const DefNode node(value, "pagination");
  DefObject o(node);
  return make_paging_style(o);
}

const std::string k_base = "https://api.example.com/v1";

HttpRequest request(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  return r;
}

// A listing over scripted responses; records every request it sends.
struct Scripted {
  std::unique_ptr<PagingStyle> paging;
  StopRules stop;
  PagingSetup setup;
  std::deque<HttpResponse> responses;
  std::vector<HttpRequest> sent;

  std::unique_ptr<Listing> start(HttpRequest first, std::string records = "/items") {
    return std::make_unique<Listing>(*paging, stop, setup, records, k_base, std::move(first),
                                     [this](const HttpRequest& r) {
                                       sent.push_back(r);
                                       REQUIRE_FALSE(responses.empty());
                                       auto response = std::move(responses.front());
                                       responses.pop_front();
                                       return response;
                                     });
  }

  // Every page of the listing: the number of records on each.
  std::vector<std::size_t> drain(Listing& listing) {
    std::vector<std::size_t> sizes;
    while (auto page = listing.next())
      sizes.push_back(page->records->size());
    return sizes;
  }
};

} // namespace

TEST_SUITE("pages") {
  TEST_CASE("invalid JSON names the status and content type") {
    auto response = ok("<html>oops</html>");
    response.headers = {{"Content-Type", "text/html"}};
    try {
      parse_page(response, "/items", 1, k_base);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::remote);
      CHECK(std::string(e.what()).rfind("invalid JSON (HTTP 200, text/html, 17 bytes): ", 0) == 0);
    }
  }

  TEST_CASE("records that are not an array are refused; a body without them is empty") {
    auto not_array = ok(R"({"items":{"id":"1"}})");
    CHECK_THROWS_WITH_AS(parse_page(not_array, "/items", 1, k_base),
                         "records at \"/items\" are not an array", Error);
    auto none = ok(R"({"links":{}})");
    CHECK(parse_page(none, "/items", 1, k_base).records->empty());
    auto array = ok("[1]");
    CHECK_THROWS_WITH_AS(parse_page(array, "/items", 1, k_base),
                         "records at \"/items\" missing (HTTP 200, application/json, 3 bytes)", Error);
  }

  TEST_CASE("a bare array body is the records, and the page keeps its headers") {
    auto response = ok(R"([{"id":"a"},{"id":"b"}])", {{"Link", "<https://x/b>; rel=\"next\""}});
    auto page = parse_page(response, "", 1, "https://x/a");
    Page moved = std::move(page);
    REQUIRE(moved.records->size() == 2);
    CHECK(moved.records->at(1)["id"].get_string().value() == "b");
    CHECK(moved.header("link") == "<https://x/b>; rel=\"next\"");
  }

  TEST_CASE("a get response becomes a one-record page") {
    auto response = ok(R"({"id":"1","recordedAt":"x"})");
    const auto page = parse_record(response, "", "u");
    REQUIRE(page.records->size() == 1);
    CHECK(page.records->at(0)["id"].get_string().value() == "1");
    auto array = ok("[1]");
    CHECK_THROWS_AS(parse_record(array, "", "u"), Error);
  }
}

TEST_SUITE("paging styles") {
  TEST_CASE("the table knows its styles; a definition naming another is refused") {
    CHECK(paging_style_names() ==
          std::vector<std::string_view>{"body_cursor", "body_link", "checkpoint", "cursor", "keyset", "link_header", "offset"});
    CHECK_THROWS_AS(style(R"({"style":"hal"})"), DefinitionProblem);
    CHECK_THROWS_AS(style(R"({"style":"body_link"})"), DefinitionProblem); // no "next"
  }

  TEST_CASE("body_link follows the URL at the pointer, relative ones resolved, until there is none") {
    Scripted s{style(R"({"style":"body_link","next":"/links/next"})"), {}, {}, {}, {}};
    s.responses.push_back(ok(R"({"items":[1,2],"links":{"next":"/v1/x?cursor=2"}})"));
    s.responses.push_back(ok(R"({"items":[3],"links":{"next":null}})"));
    auto listing = s.start(request(k_base + "/x"));
    CHECK(s.drain(*listing) == std::vector<std::size_t>{2, 1});
    REQUIRE(s.sent.size() == 2);
    CHECK(s.sent[1].url == "https://api.example.com/v1/x?cursor=2");
  }

  TEST_CASE("link_header follows rel=\"next\" among several links and Link lines") {
    Scripted s{style(R"({"style":"link_header"})"), {}, {}, {}, {}};
    s.responses.push_back(ok("[1,2]", {{"Link", "<https://api.example.com/v1/x>; rel=\"self\""},
                                       {"Link", "<https://api.example.com/v1/x?after=b%2Cc>; rel=\"next\""}}));
    s.responses.push_back(ok("[3]", {{"link", "<https://api.example.com/v1/x?page=1>; rel=\"first\", "
                                              "<https://api.example.com/v1/x?after=z>; title=\"a, b\"; rel=\"prev next\""}}));
    s.responses.push_back(ok("[]", {{"Link", "<https://api.example.com/v1/x?after=z>; rel=\"self\""}}));
    auto listing = s.start(request(k_base + "/x"), "");
    CHECK(s.drain(*listing) == std::vector<std::size_t>{2, 1, 0});
    REQUIRE(s.sent.size() == 3);
    CHECK(s.sent[1].url == "https://api.example.com/v1/x?after=b%2Cc");
    CHECK(s.sent[2].url == "https://api.example.com/v1/x?after=z");
  }

  TEST_CASE("a cursor is sent back as a parameter; null or empty ends the listing") {
    for (const auto* end : {"null", "\"\""}) {
      Scripted s{style(R"({"style":"cursor","cursor":"/next","param":"cursor"})"), {}, {}, {}, {}};
      s.responses.push_back(ok(R"({"items":[1],"next":"c1"})"));
      s.responses.push_back(ok(std::string(R"({"items":[2],"next":)") + end + "}"));
      auto listing = s.start(request(k_base + "/x?limit=1"));
      CHECK(s.drain(*listing).size() == 2);
      CHECK(s.sent[1].url == k_base + "/x?limit=1&cursor=c1");
    }
  }

  TEST_CASE("a cursor that is not a string is an invalid page") {
    Scripted s{style(R"({"style":"cursor","cursor":"/next","param":"cursor"})"), {}, {}, {}, {}};
    s.responses.push_back(ok(R"({"items":[1],"next":7})"));
    auto listing = s.start(request(k_base + "/x"));
    CHECK_THROWS_WITH_AS(listing->next(), "page 1: the cursor at \"/next\" is not a string", Error);
  }

  TEST_CASE("offset paging stops on a short page and continues by keyset past the cap") {
    Scripted s{style(R"({"style":"offset","param":"offset","max_offset":2})"), {}, {}, {}, {}};
    std::vector<Timestamp> restarts;
    s.setup.page_size = 2;
    s.setup.record_key = [](JsonValue record) -> std::optional<std::pair<Timestamp, std::string>> {
      return std::make_pair(parse_rfc3339(record["t"].get_string().value()),
                            std::string(record["id"].get_string().value()));
    };
    s.setup.restart = [&](Timestamp since) {
      restarts.push_back(since);
      return request(k_base + "/a?limit=2&since=" + format_rfc3339_ms(since));
    };
    s.responses.push_back(ok(R"([{"id":"a","t":"2024-05-01T00:00:01Z"},{"id":"b","t":"2024-05-01T00:00:02Z"}])"));
    s.responses.push_back(ok(R"([{"id":"c","t":"2024-05-01T00:00:03Z"},{"id":"d","t":"2024-05-01T00:00:03Z"}])"));
    // The restart sees c and d again at the boundary time: both dropped, e kept.
    s.responses.push_back(ok(R"([{"id":"c","t":"2024-05-01T00:00:03Z"},{"id":"d","t":"2024-05-01T00:00:03Z"},{"id":"e","t":"2024-05-01T00:00:04Z"}])"));
    s.responses.push_back(ok("[]")); // offset 2 of the restart: the end
    auto listing = s.start(request(k_base + "/a?limit=2"), "");
    CHECK(s.drain(*listing) == std::vector<std::size_t>{2, 2, 1, 0});
    CHECK(s.sent[1].url == k_base + "/a?limit=2&offset=2");
    REQUIRE(restarts.size() == 1);
    CHECK(format_rfc3339_ms(restarts[0]) == "2024-05-01T00:00:03.000Z");
    CHECK(s.sent[3].url == k_base + "/a?limit=2&since=2024-05-01T00:00:03.000Z&offset=2");
  }
}

TEST_SUITE("pages: the styles of the direct providers") {
  TEST_CASE("a cursor given as an array is joined (Duo's next_offset), other values are refused") {
    Scripted s{style(R"({"style":"cursor","cursor":"/meta/next_offset","param":"next_offset","join":","})"),
               {}, {}, {}, {}};
    s.responses.push_back(ok(R"({"items":[1],"meta":{"next_offset":["1715000000123","tx-9"]}})"));
    s.responses.push_back(ok(R"({"items":[2],"meta":{"next_offset":null}})"));
    auto listing = s.start(request(k_base + "/logs?limit=1"));
    CHECK(s.drain(*listing) == std::vector<std::size_t>{1, 1});
    CHECK(s.sent[1].url == k_base + "/logs?limit=1&next_offset=1715000000123%2Ctx-9");

    Scripted bad{style(R"({"style":"cursor","cursor":"/next","param":"n","join":","})"), {}, {}, {}, {}};
    bad.responses.push_back(ok(R"({"items":[1],"next":[{"x":1}]})"));
    auto refused = bad.start(request(k_base + "/logs"));
    CHECK_THROWS_WITH_AS(refused->next(),
                         "page 1: the cursor at \"/next\" holds a value that is not a string or a number", Error);
  }

  TEST_CASE("body_cursor posts the same request with only the cursor in its JSON body") {
    Scripted s{style(R"({"style":"body_cursor","cursor":"/cursor"})"), {}, {}, {}, {}};
    s.stop.more_pointer = "/has_more";
    s.responses.push_back(ok(R"({"items":[1,2],"cursor":"c1","has_more":true})"));
    s.responses.push_back(ok(R"({"items":[3],"cursor":"c2","has_more":false})"));
    HttpRequest first = request(k_base + "/auditevents");
    first.method = "POST";
    first.body = R"({"limit":2,"start_time":"2024-05-01T00:00:00Z"})";
    auto listing = s.start(first);
    auto page = listing->next();
    REQUIRE(page);
    page = listing->next();
    REQUIRE(page);
    CHECK_FALSE(listing->next());
    REQUIRE(s.sent.size() == 2);
    CHECK(s.sent[1].method == "POST");
    CHECK(s.sent[1].url == k_base + "/auditevents");
    CHECK(s.sent[1].body == R"({"cursor":"c1"})");
    // the last page's cursor is where a later run resumes
    REQUIRE(page->continuation);
    CHECK(page->continuation->body == R"({"cursor":"c2"})");
  }

  TEST_CASE("checkpoint: a searched first page, then from=LARGEST_ID&take=N, then the Link header") {
    Scripted s{style(R"({"style":"checkpoint","id":"/log_id","param":"from","size_param":"take"})"),
               {}, {}, {}, {}};
    s.stop.next_is_current = true;
    s.setup.page_size = 2;
    s.responses.push_back(ok(R"([{"log_id":"90"},{"log_id":"91"}])"));
    const std::string next = k_base + "/logs?from=93&take=2";
    s.responses.push_back(ok(R"([{"log_id":"92"},{"log_id":"93"}])", {{"Link", "<" + next + ">; rel=\"next\""}}));
    s.responses.push_back(ok("[]", {{"Link", "<" + next + ">; rel=\"next\""}}));
    auto listing = s.start(request(k_base + "/logs?q=date%3A%5B2024%20TO%20*%5D&sort=log_id%3A1&per_page=2"), "");
    CHECK(s.drain(*listing) == std::vector<std::size_t>{2, 2, 0});
    // the search's parameters are dropped: the checkpoint endpoint takes only from and take
    CHECK(s.sent[1].url == k_base + "/logs?from=91&take=2");
    CHECK(s.sent[2].url == next);
  }

  TEST_CASE("checkpoint: ids compare as numbers of one length") {
    Scripted s{style(R"({"style":"checkpoint","id":"/id","param":"from","size_param":"take"})"), {}, {}, {}, {}};
    s.setup.page_size = 5;
    s.responses.push_back(ok(R"([{"id":99},{"id":100}])"));
    s.responses.push_back(ok("[]"));
    auto listing = s.start(request(k_base + "/logs"), "");
    CHECK(s.drain(*listing) == std::vector<std::size_t>{2, 0});
    CHECK(s.sent[1].url == k_base + "/logs?from=100&take=5");
  }

  TEST_CASE("checkpoint: an empty first page is the end; a record without an id is refused") {
    Scripted empty{style(R"({"style":"checkpoint","id":"/log_id","param":"from","size_param":"take"})"),
                   {}, {}, {}, {}};
    empty.responses.push_back(ok("[]"));
    auto listing = empty.start(request(k_base + "/logs?q=x"), "");
    CHECK(empty.drain(*listing) == std::vector<std::size_t>{0});

    Scripted bad{style(R"({"style":"checkpoint","id":"/log_id","param":"from","size_param":"take"})"),
                 {}, {}, {}, {}};
    bad.responses.push_back(ok(R"([{"date":"x"}])"));
    auto refused = bad.start(request(k_base + "/logs?q=x"), "");
    CHECK_THROWS_WITH_AS(refused->next(), "page 1: a record has no id at \"/log_id\" to continue from",
                         Error);
  }

  // Records {"id", "t"} with t in whole seconds, for keyset paging.
  void keyed(Scripted& s) {
    s.setup.record_key = [](JsonValue record) -> std::optional<std::pair<Timestamp, std::string>> {
      return std::make_pair(Timestamp{std::chrono::seconds{record["t"].get_int64().value()}},
                            std::string(record["id"].get_string().value()));
    };
  }

  TEST_CASE("keyset with a full page: asks again from the last time, drops what came again") {
    Scripted s{style(R"({"style":"keyset","param":"mintime","format":"epoch_seconds","full_page":3})"),
               {}, {}, {}, {}};
    keyed(s);
    s.responses.push_back(ok(R"([{"id":"a","t":10},{"id":"b","t":11},{"id":"c","t":11}])"));
    s.responses.push_back(ok(R"([{"id":"b","t":11},{"id":"c","t":11},{"id":"d","t":12}])"));
    s.responses.push_back(ok(R"([{"id":"d","t":12},{"id":"e","t":13}])")); // short: the last
    auto listing = s.start(request(k_base + "/admin?mintime=5"), "");
    CHECK(s.drain(*listing) == std::vector<std::size_t>{3, 1, 1});
    CHECK(s.sent[1].url == k_base + "/admin?mintime=11");
    CHECK(s.sent[2].url == k_base + "/admin?mintime=12");
  }

  TEST_CASE("keyset with a full page refuses to loop when a page is all one time") {
    Scripted s{style(R"({"style":"keyset","param":"mintime","format":"epoch_seconds","full_page":2})"),
               {}, {}, {}, {}};
    keyed(s);
    s.responses.push_back(ok(R"([{"id":"a","t":10},{"id":"b","t":11}])"));
    s.responses.push_back(ok(R"([{"id":"c","t":11},{"id":"d","t":11}])"));
    auto listing = s.start(request(k_base + "/admin"), "");
    REQUIRE(listing->next());
    CHECK_THROWS_WITH_AS(listing->next(),
                         "page 2: more than 2 activities share the time 1970-01-01T00:00:11.000Z; the API "
                         "cannot page past them",
                         Error);
  }

  TEST_CASE("keyset without a full page size reads until an empty page") {
    Scripted s{style(R"({"style":"keyset","param":"mintime","format":"epoch_seconds"})"), {}, {}, {}, {}};
    keyed(s);
    // a short page is not the end: the API may send fewer than its cap while more remain
    s.responses.push_back(ok(R"([{"id":"a","t":10},{"id":"b","t":11}])"));
    s.responses.push_back(ok(R"([{"id":"b","t":11},{"id":"c","t":11}])")); // c is new, at the same second
    s.responses.push_back(ok(R"([{"id":"d","t":14}])"));                   // so on after that second
    s.responses.push_back(ok(R"([{"id":"d","t":14}])"));                   // only that second again
    s.responses.push_back(ok(R"([{"id":"e","t":15},{"id":"f","t":16}])")); // after it: more
    s.responses.push_back(ok(R"([{"id":"f","t":16}])"));
    s.responses.push_back(ok("[]"));                                        // the end
    auto listing = s.start(request(k_base + "/admin"), "");
    CHECK(s.drain(*listing) == std::vector<std::size_t>{2, 1, 1, 0, 2, 0, 0});
    REQUIRE(s.sent.size() == 7);
    CHECK(s.sent[1].url == k_base + "/admin?mintime=11");
    CHECK(s.sent[2].url == k_base + "/admin?mintime=12");
    CHECK(s.sent[3].url == k_base + "/admin?mintime=14");
    CHECK(s.sent[4].url == k_base + "/admin?mintime=15");
    CHECK(s.sent[5].url == k_base + "/admin?mintime=16");
    CHECK(s.sent[6].url == k_base + "/admin?mintime=17");
  }
}

TEST_SUITE("listing") {
  TEST_CASE("a next link to another origin is refused before it is sent") {
    Scripted s{style(R"({"style":"body_link","next":"/next"})"), {}, {}, {}, {}};
    s.responses.push_back(ok(R"({"items":[],"next":"https://evil.example/x"})"));
    auto listing = s.start(request(k_base + "/x"));
    CHECK_THROWS_WITH_AS(listing->next(),
                         "page 1: refusing the next link to https://evil.example: not the API's "
                         "origin https://api.example.com",
                         Error);
    CHECK(s.sent.size() == 1);
  }

  TEST_CASE("a next request that repeats a page is a loop, unless the definition says it ends") {
    Scripted loop{style(R"({"style":"link_header"})"), {}, {}, {}, {}};
    loop.responses.push_back(ok("[1]", {{"Link", "<" + k_base + "/x>; rel=\"next\""}}));
    auto listing = loop.start(request(k_base + "/x"), "");
    CHECK_THROWS_WITH_AS(listing->next(),
                         "page 1: the next page would repeat an earlier one; stopping a loop", Error);

    // Okta and Auth0: an empty page whose next link is itself is the end for now.
    Scripted end{style(R"({"style":"link_header"})"), {}, {}, {}, {}};
    end.stop.next_is_current = true;
    end.responses.push_back(ok("[1]", {{"Link", "<" + k_base + "/x?after=1>; rel=\"next\""}}));
    end.responses.push_back(ok("[]", {{"Link", "<" + k_base + "/x?after=1>; rel=\"next\""}}));
    auto ended = end.start(request(k_base + "/x"), "");
    auto first = ended->next();
    REQUIRE(first);
    CHECK(first->continuation->url == k_base + "/x?after=1");
    auto last = ended->next();
    REQUIRE(last);
    // Where a later run resumes: the same request, which will bring what is new.
    CHECK(last->continuation->url == k_base + "/x?after=1");
    CHECK_FALSE(ended->next());
  }

  TEST_CASE("stop rules: an empty page, has_more false") {
    Scripted empty{style(R"({"style":"cursor","cursor":"/next","param":"c"})"), {}, {}, {}, {}};
    empty.stop.empty_page = true;
    empty.responses.push_back(ok(R"({"items":[],"next":"c9"})"));
    auto listing = empty.start(request(k_base + "/x"));
    CHECK(empty.drain(*listing) == std::vector<std::size_t>{0});

    Scripted more{style(R"({"style":"cursor","cursor":"/next","param":"c"})"), {}, {}, {}, {}};
    more.stop.more_pointer = "/has_more";
    more.responses.push_back(ok(R"({"items":[1],"next":"c1","has_more":true})"));
    more.responses.push_back(ok(R"({"items":[2],"next":"c2","has_more":false})"));
    auto second = more.start(request(k_base + "/x"));
    auto page = second->next();
    REQUIRE(page);
    page = second->next();
    REQUIRE(page);
    CHECK(page->continuation->url == k_base + "/x?c=c2"); // a later run continues there
    CHECK_FALSE(second->next());
    CHECK(more.sent.size() == 2);
  }

  TEST_CASE("a failed fetch names the page") {
    Scripted s{style(R"({"style":"body_link","next":"/next"})"), {}, {}, {}, {}};
    s.responses.push_back(ok(R"({"items":[],"next":"/v1/y"})"));
    s.responses.push_back(ok("not json"));
    auto listing = s.start(request(k_base + "/x"));
    REQUIRE(listing->next());
    try {
      listing->next();
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).rfind("page 2: invalid JSON", 0) == 0);
    }
  }
}
