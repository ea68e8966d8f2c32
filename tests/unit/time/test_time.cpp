#include "auditfetch/time/format.hpp"
#include "auditfetch/time/time.hpp"

#include <doctest/doctest.h>

#include <optional>

using namespace auditfetch;

namespace {

std::string format(std::string_view name, std::string_view time, Bound bound) {
  return find_time_format(name)->format(parse_rfc3339(time), bound);
}

std::optional<std::string> parsed(std::string_view name, std::string_view text) {
  Timestamp t;
  if (!find_time_format(name)->parse(text, t))
    return std::nullopt;
  return format_rfc3339_ms(t);
}

} // namespace

TEST_SUITE("time formats") {
  TEST_CASE("every format the table names exists; others do not") {
    for (auto name : time_format_names())
      CHECK(find_time_format(name) != nullptr);
    CHECK(time_format_names().size() == 4);
    CHECK(find_time_format("iso8601") == nullptr);
  }

  TEST_CASE("milliseconds are written as they are; an inclusive bound is the millisecond before") {
    CHECK(format("rfc3339_ms", "2024-05-01T10:00:00.250Z", Bound::lower) == "2024-05-01T10:00:00.250Z");
    CHECK(format("rfc3339_ms", "2024-05-01T10:00:00.250Z", Bound::upper_exclusive) ==
          "2024-05-01T10:00:00.250Z");
    CHECK(format("rfc3339_ms", "2024-05-01T10:00:00.250Z", Bound::upper_inclusive) ==
          "2024-05-01T10:00:00.249Z");
  }

  TEST_CASE("whole seconds round so that the server's range holds the one asked for") {
    CHECK(format("rfc3339", "2024-05-01T10:00:00.250Z", Bound::lower) == "2024-05-01T10:00:00Z");
    CHECK(format("rfc3339", "2024-05-01T10:00:00.250Z", Bound::upper_exclusive) == "2024-05-01T10:00:01Z");
    CHECK(format("rfc3339", "2024-05-01T10:00:00.000Z", Bound::upper_exclusive) == "2024-05-01T10:00:00Z");
    // Records stamped in whole seconds before 10:00:00.250 are those up to 10:00:00.
    CHECK(format("rfc3339", "2024-05-01T10:00:00.250Z", Bound::upper_inclusive) == "2024-05-01T10:00:00Z");
    CHECK(format("rfc3339", "2024-05-01T10:00:00.000Z", Bound::upper_inclusive) == "2024-05-01T09:59:59Z");
  }

  TEST_CASE("epoch seconds and milliseconds, with the same rounding") {
    CHECK(format("epoch_seconds", "2024-05-01T00:00:00.000Z", Bound::lower) == "1714521600");
    CHECK(format("epoch_seconds", "2024-05-01T00:00:00.001Z", Bound::lower) == "1714521600");
    CHECK(format("epoch_seconds", "2024-05-01T00:00:00.001Z", Bound::upper_exclusive) == "1714521601");
    CHECK(format("epoch_seconds", "2024-05-01T00:00:00.000Z", Bound::upper_inclusive) == "1714521599");
    CHECK(format("epoch_seconds", "2024-05-01T00:00:00.500Z", Bound::upper_inclusive) == "1714521600");
    CHECK(format("epoch_ms", "2024-05-01T00:00:00.123Z", Bound::lower) == "1714521600123");
    CHECK(format("epoch_ms", "2024-05-01T00:00:00.123Z", Bound::upper_inclusive) == "1714521600122");
  }

  TEST_CASE("record times: fractions beyond milliseconds, epoch numbers, nothing else") {
    CHECK(parsed("rfc3339", "2024-12-27T10:01:19.5796748Z") == "2024-12-27T10:01:19.579Z"); // Graph
    CHECK(parsed("rfc3339", "2024-05-01T12:00:00.123456789+02:00") == "2024-05-01T10:00:00.123Z");
    CHECK(parsed("rfc3339_ms", "2024-05-01T10:00:00Z") == "2024-05-01T10:00:00.000Z");
    CHECK(parsed("epoch_ms", "1671111111111") == "2022-12-15T13:31:51.111Z"); // GitHub @timestamp
    CHECK(parsed("epoch_seconds", "1714521600") == "2024-05-01T00:00:00.000Z");
    CHECK(parsed("epoch_seconds", "1714521600.25") == "2024-05-01T00:00:00.250Z");
    CHECK_FALSE(parsed("epoch_ms", "1714521600.25"));
    CHECK_FALSE(parsed("epoch_seconds", "-5"));
    CHECK_FALSE(parsed("epoch_seconds", "12abc"));
    CHECK_FALSE(parsed("epoch_seconds", "99999999999999999999"));
    CHECK_FALSE(parsed("rfc3339", "1714521600"));
  }
}
