#include "auditfetch/commands/progress.hpp"

#include <doctest/doctest.h>

using namespace auditfetch;
using namespace std::chrono_literals;

namespace {

Timestamp at(const char* text) { return parse_rfc3339(text); }

std::size_t columns(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char c : text)
    n += (c & 0xC0) != 0x80;
  return n;
}

} // namespace

TEST_SUITE("progress") {
  TEST_CASE("counts have thousands separators") {
    CHECK(format_count(0) == "0");
    CHECK(format_count(999) == "999");
    CHECK(format_count(1000) == "1,000");
    CHECK(format_count(12000) == "12,000");
    CHECK(format_count(1234567) == "1,234,567");
  }

  TEST_CASE("times are shown to the minute, UTC") {
    CHECK(format_minute(at("2024-06-03T11:20:59.999Z")) == "2024-06-03T11:20Z");
    CHECK(format_minute(at("2024-06-03T13:20:00+02:00")) == "2024-06-03T11:20Z");
  }

  TEST_CASE("the line has pages, activities, rate and the window covered") {
    ProgressCounts counts;
    counts.pages = 12;
    counts.read = 12000;
    counts.printed = 12000;
    counts.elapsed = 250ms;
    counts.oldest = at("2024-06-01T00:00:00Z");
    counts.newest = at("2024-06-03T11:20:00Z");
    // No rate in the first half second: it would be noise.
    CHECK(format_progress(counts, 0) ==
          "pages 12 · activities 12,000 · 2024-06-01T00:00Z … 2024-06-03T11:20Z");
    counts.elapsed = 2500ms;
    CHECK(format_progress(counts, 0) ==
          "pages 12 · activities 12,000 · 4,800/s · 2024-06-01T00:00Z … 2024-06-03T11:20Z");
  }

  TEST_CASE("activities filtered out locally show as printed of read") {
    ProgressCounts counts;
    counts.pages = 3;
    counts.read = 3000;
    counts.printed = 7;
    CHECK(format_progress(counts, 0) == "pages 3 · activities 7 of 3,000");
  }

  TEST_CASE("a window within one minute is one time") {
    ProgressCounts counts;
    counts.pages = 1;
    counts.oldest = at("2024-06-01T00:00:10Z");
    counts.newest = at("2024-06-01T00:00:50Z");
    CHECK(format_progress(counts, 0) == "pages 1 · activities 0 · 2024-06-01T00:00Z");
  }

  TEST_CASE("the line is cut to the terminal width, ending in an ellipsis") {
    ProgressCounts counts;
    counts.pages = 12;
    counts.read = counts.printed = 12000;
    counts.oldest = at("2024-06-01T00:00:00Z");
    counts.newest = at("2024-06-03T11:20:00Z");
    const auto full = format_progress(counts, 0);
    CHECK(format_progress(counts, columns(full)) == full);
    const auto cut = format_progress(counts, 20);
    CHECK(columns(cut) == 20);
    CHECK(cut == "pages 12 · activiti…");
    // Never in the middle of a multi-byte character.
    CHECK(fit_to_width("ab·cd", 3) == "ab…");
    CHECK(fit_to_width("ab·cd", 4) == "ab·…");
    CHECK(fit_to_width("ab·cd", 5) == "ab·cd");
  }

  TEST_CASE("tail's status between polls counts down in whole seconds") {
    CHECK(format_tail_status(3, 42, at("2024-06-03T11:20:30Z"), 24001ms) ==
          "tail · polls 3 · activities 42 · newest 2024-06-03T11:20Z · next poll in 25s");
    CHECK(format_tail_status(0, 0, std::nullopt, std::nullopt) ==
          "tail · polls 0 · activities 0 · polling");
    CHECK(format_tail_status(1, 1234, std::nullopt, 0ms) ==
          "tail · polls 1 · activities 1,234 · next poll in 0s");
  }

  TEST_CASE("tail of several sources shows what it printed and which sources are failing") {
    CHECK(format_sources_status(3, 42, at("2024-06-03T11:20:30Z"), {}) ==
          "tail · 3 sources · activities 42 · newest 2024-06-03T11:20Z");
    CHECK(format_sources_status(2, 1234, std::nullopt, {"okta", "gh"}) ==
          "tail · 2 sources · activities 1,234 · okta, gh failing");
  }

  TEST_CASE("a disabled progress line counts nothing and draws nothing") {
    Progress progress(false);
    std::vector<Activity> printed(2);
    printed[0].created_at = at("2024-06-01T00:00:00Z");
    progress.page(10, printed, at("2024-06-02T00:00:00Z"));
    progress.status("tail");
    CHECK(progress.counts().pages == 0);
  }

  TEST_CASE("an enabled progress line keeps the window of every page") {
    // Drawing goes to fd 2, which under ctest is not a terminal: harmless there.
    Progress progress(true);
    std::vector<Activity> printed(2);
    printed[0].created_at = at("2024-06-03T00:00:00Z"); // newest first
    printed[1].created_at = at("2024-06-02T00:00:00Z");
    progress.page(5, printed, at("2024-06-03T00:00:00Z"));
    printed[0].created_at = at("2024-06-01T12:00:00Z");
    printed[1].created_at = std::nullopt;
    progress.page(4, printed, at("2024-06-01T12:00:00Z"));
    progress.page(3, {}, at("2024-06-01T06:00:00Z")); // all filtered out: still covered
    CHECK(progress.counts().pages == 3);
    CHECK(progress.counts().read == 12);
    CHECK(progress.counts().printed == 4);
    CHECK(progress.counts().oldest == at("2024-06-01T06:00:00Z"));
    CHECK(progress.counts().newest == at("2024-06-03T00:00:00Z"));
  }
}
