#include "pipeline/page_stream.hpp"
#include "auditfetch/util/error.hpp"

#include <doctest/doctest.h>

#include <atomic>

using namespace auditfetch;

namespace {

Page page_of(std::size_t number, std::size_t records) {
  Page page;
  page.number = number;
  std::string text = "[";
  for (std::size_t i = 0; i < records; ++i)
    text += (i ? "," : "") + std::to_string(i);
  std::string error;
  page.parsed = std::move(*parse_json(text + "]", error));
  page.records = std::make_unique<std::vector<JsonValue>>();
  const auto array = page.parsed.root.get_array().value();
  for (const auto record : array)
    page.records->push_back(record);
  return page;
}

bool never() { return false; }

} // namespace

TEST_SUITE("page_stream") {
  TEST_CASE("pages arrive in order and the stream ends") {
    std::atomic<std::size_t> calls{0};
    PageStream stream(
        [&]() -> std::optional<Page> {
          const auto n = ++calls;
          if (n > 3)
            return std::nullopt;
          return page_of(n, 2);
        },
        std::nullopt);
    for (std::size_t expected = 1; expected <= 3; ++expected) {
      auto page = stream.next(never);
      REQUIRE(page);
      CHECK(page->number == expected);
      stream.page_done(expected * 2);
    }
    CHECK_FALSE(stream.next(never));
  }

  TEST_CASE("no page is fetched once the consumer holds the limit") {
    std::atomic<std::size_t> calls{0};
    {
      PageStream stream(
          [&]() -> std::optional<Page> { return page_of(++calls, 10); }, std::size_t{10});
      auto page = stream.next(never);
      REQUIRE(page);
      stream.page_done(10);
      CHECK_FALSE(stream.next(never));
    }
    CHECK(calls == 1);
  }

  TEST_CASE("a page is fetched when local filtering left the consumer short of the limit") {
    std::atomic<std::size_t> calls{0};
    PageStream stream(
        [&]() -> std::optional<Page> {
          const auto n = ++calls;
          return n > 2 ? std::nullopt : std::optional<Page>(page_of(n, 10));
        },
        std::size_t{10});
    REQUIRE(stream.next(never));
    stream.page_done(3); // only 3 of 10 matched
    auto second = stream.next(never);
    REQUIRE(second);
    CHECK(second->number == 2);
  }

  TEST_CASE("an error surfaces after the pages before it") {
    std::atomic<std::size_t> calls{0};
    PageStream stream(
        [&]() -> std::optional<Page> {
          if (++calls == 2)
            throw Error(ErrorKind::remote, "page 2: boom");
          return page_of(calls, 1);
        },
        std::nullopt);
    REQUIRE(stream.next(never));
    stream.page_done(1);
    CHECK_THROWS_WITH_AS(stream.next(never), "page 2: boom", Error);
  }
}
