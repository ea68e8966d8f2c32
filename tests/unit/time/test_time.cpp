#include "auditfetch/time/format.hpp"
#include "auditfetch/time/time.hpp"
#include "auditfetch/time/zone.hpp"
#include "auditfetch/util/error.hpp"

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

TEST_SUITE("--since and --until values") {
  const auto now = parse_rfc3339("2024-05-08T12:34:56.789Z");
  const auto text = [](Timestamp t) { return format_rfc3339_ms(t); };
  const auto arg = [](std::string_view value, const Zone& zone = Zone::utc()) {
    return format_rfc3339_ms(parse_time_arg(value, now, "--since", zone));
  };

  TEST_CASE("RFC 3339, ages and now, as before") {
    CHECK(arg("2024-05-01T00:00:00Z") == "2024-05-01T00:00:00.000Z");
    CHECK(arg("2024-05-01T02:00:00+02:00") == "2024-05-01T00:00:00.000Z");
    CHECK(arg("now") == text(now));
    CHECK(arg("12h") == "2024-05-08T00:34:56.789Z");
    CHECK(arg("1.5h") == "2024-05-08T11:04:56.789Z");
  }

  TEST_CASE("compound ages, largest unit first, each once") {
    CHECK(arg("1h30m") == "2024-05-08T11:04:56.789Z");
    CHECK(arg("2d12h") == "2024-05-06T00:34:56.789Z");
    CHECK(arg("1m30s") == "2024-05-08T12:33:26.789Z");
    CHECK(arg("1s500ms") == "2024-05-08T12:34:55.289Z");
    CHECK(arg("1w1d1h1m1s1ms") == "2024-04-30T11:33:55.788Z");
    for (const char* bad : {"30m1h", "1h1h", "1h30", "h", "1x", "1h-30m", "1h+30m", "1hh", "30"})
      CHECK_THROWS_AS(parse_time_arg(bad, now, "--since"), Error);
    CHECK(parse_duration("1h30m", "--overlap") == std::chrono::minutes{90});
    CHECK(parse_duration("90", "--overlap") == std::chrono::seconds{90});
    CHECK_THROWS_AS(parse_duration("1h30", "--overlap"), Error);
  }

  TEST_CASE("a date is its midnight, a time without an offset is read in the zone (UTC by default)") {
    CHECK(arg("2024-05-01") == "2024-05-01T00:00:00.000Z");
    CHECK(arg("2024-05-01T10:00") == "2024-05-01T10:00:00.000Z");
    CHECK(arg("2024-05-01 10:00:00") == "2024-05-01T10:00:00.000Z");
    CHECK(arg("2024-05-01t10:00:30.25") == "2024-05-01T10:00:30.250Z");
    // Finer than a millisecond: the next one, as for RFC 3339.
    CHECK(arg("2024-05-01T10:00:00.0001") == "2024-05-01T10:00:00.001Z");
    for (const char* bad : {"2024-05-32", "2024-13-01", "2024-5-1", "2024-05-01T", "2024-05-01T10",
                            "2024-05-01T10:00:", "2024-05-01T24:00", "2024-05-01T10:00:60", "2024-05-01T10:00.5",
                            "2024-05-01T10:00:00.", "2024-05-01X10:00", "2024-05-01T10:00 "})
      CHECK_THROWS_AS(parse_time_arg(bad, now, "--since"), Error);
  }

  TEST_CASE("today and yesterday are midnight in the zone") {
    CHECK(arg("today") == "2024-05-08T00:00:00.000Z");
    CHECK(arg("yesterday") == "2024-05-07T00:00:00.000Z");
  }

  TEST_CASE("in a named zone: its offset that day, summer time included") {
    const auto paris = Zone::named("Europe/Paris", std::nullopt);
    CHECK(paris.name() == "Europe/Paris");
    CHECK(arg("2024-05-01", paris) == "2024-04-30T22:00:00.000Z");        // CEST, +02:00
    CHECK(arg("2024-01-15T10:00", paris) == "2024-01-15T09:00:00.000Z");  // CET, +01:00
    CHECK(arg("today", paris) == "2024-05-07T22:00:00.000Z");
    CHECK(arg("yesterday", paris) == "2024-05-06T22:00:00.000Z");
    // An offset written out wins over the zone; ages do not depend on it.
    CHECK(arg("2024-05-01T00:00:00Z", paris) == "2024-05-01T00:00:00.000Z");
    CHECK(arg("1h30m", paris) == "2024-05-08T11:04:56.789Z");
    // 02:30 on 31 March 2024 never happened in Paris: the moment the clocks jumped.
    CHECK(arg("2024-03-31T02:30", paris) == "2024-03-31T01:00:00.000Z");
    // 02:30 on 27 October 2024 happened twice: the first.
    CHECK(arg("2024-10-27T02:30", paris) == "2024-10-27T00:30:00.000Z");
    const auto new_york = Zone::named("America/New_York", std::nullopt);
    CHECK(arg("today", new_york) == "2024-05-08T04:00:00.000Z");
  }

  TEST_CASE("--tz names: UTC, local from TZ, unknown ones refused") {
    CHECK(Zone::named("UTC", std::nullopt).is_utc());
    CHECK(Zone::named("Etc/UTC", std::nullopt).is_utc());
    CHECK(Zone::named("local", std::string("Asia/Tokyo")).name() == "Asia/Tokyo");
    CHECK(Zone::named("local", std::string(":Europe/Paris")).name() == "Europe/Paris");
    CHECK(Zone::named("local", std::string("UTC")).is_utc());
    CHECK_THROWS_AS(Zone::named("local", std::string("Mars/Olympus")), Error);
    for (const char* bad : {"Mars/Olympus", "europe/paris", "", "+02:00"}) {
      CAPTURE(bad);
      try {
        (void)Zone::named(bad, std::nullopt);
        FAIL("accepted an unknown zone");
      } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::usage);
        CHECK(std::string(e.what()).find("unknown time zone") != std::string::npos);
      }
    }
  }

  TEST_CASE("times shown in a zone carry its offset and parse back to the same instant") {
    const auto t = parse_rfc3339("2024-05-01T10:00:00.250Z");
    CHECK(format_in_zone(t, Zone::utc()) == "2024-05-01T10:00:00.250Z");
    CHECK(format_in_zone(t, Zone::named("Europe/Paris", std::nullopt)) == "2024-05-01T12:00:00.250+02:00");
    CHECK(format_in_zone(t, Zone::named("America/New_York", std::nullopt)) == "2024-05-01T06:00:00.250-04:00");
    CHECK(format_in_zone(t, Zone::named("Asia/Kolkata", std::nullopt)) == "2024-05-01T15:30:00.250+05:30");
    CHECK(parse_rfc3339(format_in_zone(t, Zone::named("Asia/Kolkata", std::nullopt))) == t);
  }
}
