#include "auditfetch/time/time.hpp"
#include "auditfetch/time/zone.hpp"

#include "auditfetch/util/error.hpp"

#include <date/date.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>
#include <utility>

namespace auditfetch {
namespace {

using std::chrono::milliseconds;

bool parse_uint(std::string_view text, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > text.size())
    return false;
  out = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])))
      return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

// A strict RFC 3339 reader: date::parse accepts too much (and reads locale-dependent
// input through iostreams, which is slow on the per-record path).
bool parse_rfc3339_impl(std::string_view s, Timestamp& out, bool* finer = nullptr) {
  int year, month, day, hour, minute, second;
  if (s.size() < 20 || !parse_uint(s, 0, 4, year) || s[4] != '-' || !parse_uint(s, 5, 2, month) ||
      s[7] != '-' || !parse_uint(s, 8, 2, day) ||
      !(s[10] == 'T' || s[10] == 't' || s[10] == ' ') || !parse_uint(s, 11, 2, hour) ||
      s[13] != ':' || !parse_uint(s, 14, 2, minute) || s[16] != ':' ||
      !parse_uint(s, 17, 2, second))
    return false;
  std::size_t pos = 19;
  int millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 3)
        millis = millis * 10 + (s[pos] - '0');
      else if (finer && s[pos] != '0')
        *finer = true;
      ++digits;
      ++pos;
    }
    if (digits == 0)
      return false;
    for (std::size_t d = digits; d < 3; ++d)
      millis *= 10;
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!parse_uint(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !parse_uint(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return false;
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size())
    return false;
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  // Leap seconds (":60") are accepted by RFC 3339 and folded into the next second.
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60)
    return false;
  out = Timestamp{date::sys_days{ymd}} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
        std::chrono::seconds{second} + milliseconds{millis} - std::chrono::minutes{offset_minutes};
  return true;
}

// One unit of a duration, by its suffix.
bool unit_factor(std::string_view unit, double& factor) {
  static constexpr std::pair<std::string_view, double> units[] = {
      {"w", 604'800'000}, {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}};
  for (const auto& [name, value] : units)
    if (unit == name) {
      factor = value;
      return true;
    }
  return false;
}

// "90", "1.5h", "500ms", or several parts, largest unit first, each unit once: "1h30m",
// "2d12h", "1m30s". A bare number (one part, no unit) is seconds.
bool parse_duration_impl(std::string_view text, milliseconds& out) {
  if (text.empty() || text.front() == '+' || text.front() == '-')
    return false;
  const char* p = text.data();
  const char* const end = text.data() + text.size();
  double total = 0;
  double previous_factor = 0; // of the part before: the next must be smaller
  while (p != end) {
    double value = 0;
    auto [ptr, ec] = std::from_chars(p, end, value);
    // from_chars also reads "nan" and "inf", which no duration is.
    if (ec != std::errc{} || ptr == p || !std::isfinite(value) || value < 0 || *p == '+' || *p == '-')
      return false;
    const char* unit_end = ptr;
    while (unit_end != end && std::isalpha(static_cast<unsigned char>(*unit_end)))
      ++unit_end;
    const std::string_view unit(ptr, static_cast<std::size_t>(unit_end - ptr));
    double factor = 1000;
    if (unit.empty()) {
      if (p != text.data() || unit_end != end) // a bare number only on its own
        return false;
    } else if (!unit_factor(unit, factor) || (previous_factor != 0 && factor >= previous_factor)) {
      return false;
    }
    previous_factor = factor;
    total += value * factor;
    if (total > 1e15)
      return false;
    p = unit_end;
  }
  out = milliseconds{static_cast<long long>(total)};
  return true;
}

// "2024-05-01", "2024-05-01T10:00", "2024-05-01 10:00:00", "2024-05-01T10:00:00.123456": a
// wall-clock time with no offset. `finer`: digits beyond the millisecond were not all zero.
bool parse_wall_time(std::string_view s, date::local_time<milliseconds>& out, bool& finer) {
  int year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
  if (s.size() < 10 || !parse_uint(s, 0, 4, year) || s[4] != '-' || !parse_uint(s, 5, 2, month) ||
      s[7] != '-' || !parse_uint(s, 8, 2, day))
    return false;
  std::size_t pos = 10;
  if (pos < s.size()) {
    if (!(s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ') || !parse_uint(s, pos + 1, 2, hour) ||
        pos + 3 >= s.size() || s[pos + 3] != ':' || !parse_uint(s, pos + 4, 2, minute))
      return false;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!parse_uint(s, pos + 1, 2, second))
        return false;
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::size_t digits = 0;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
          if (digits < 3)
            millis = millis * 10 + (s[pos] - '0');
          else if (s[pos] != '0')
            finer = true;
          ++digits;
          ++pos;
        }
        if (digits == 0)
          return false;
        for (std::size_t d = digits; d < 3; ++d)
          millis *= 10;
      }
    }
    if (pos != s.size())
      return false;
  }
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59)
    return false;
  out = date::local_days{ymd} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
        std::chrono::seconds{second} + milliseconds{millis};
  return true;
}

} // namespace

bool try_parse_rfc3339(std::string_view text, Timestamp& out) {
  return parse_rfc3339_impl(text, out);
}

Timestamp parse_rfc3339(std::string_view text) {
  Timestamp t;
  if (!parse_rfc3339_impl(text, t))
    throw Error(ErrorKind::usage, "'" + std::string(text) + "' is not an RFC 3339 time",
                "write it like 2024-05-01T00:00:00Z");
  return t;
}

Timestamp parse_time_arg(std::string_view text, Timestamp now, std::string_view flag) {
  return parse_time_arg(text, now, flag, Zone::utc());
}

Timestamp parse_time_arg(std::string_view text, Timestamp now, std::string_view flag, const Zone& zone) {
  if (text == "now")
    return now;
  if (text == "today" || text == "yesterday") {
    auto midnight = date::floor<date::days>(zone.to_wall(now));
    if (text == "yesterday")
      midnight -= date::days{1};
    return zone.to_instant(midnight);
  }
  Timestamp t;
  bool finer = false;
  // A bound finer than a millisecond: the next millisecond keeps its meaning for times held in
  // milliseconds (since 42.3005 excludes 42.300; until 00.1201 includes 00.120).
  if (parse_rfc3339_impl(text, t, &finer))
    return finer ? t + milliseconds{1} : t;
  date::local_time<milliseconds> wall;
  if (parse_wall_time(text, wall, finer)) {
    t = zone.to_instant(wall);
    return finer ? t + milliseconds{1} : t;
  }
  milliseconds age;
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text.back())) == 0 &&
      parse_duration_impl(text, age))
    return now - age;
  throw Error(ErrorKind::usage,
              std::string(flag) + ": '" + std::string(text) + "' is not a time",
              "use RFC 3339 (2024-05-01T00:00:00Z), a date (2024-05-01) or a time without an offset "
              "(2024-05-01T10:00, read in --tz), an age (30s, 15m, 1h30m, 7d, 2w), today, yesterday or now");
}

std::chrono::milliseconds parse_duration(std::string_view text, std::string_view flag) {
  milliseconds d;
  if (!parse_duration_impl(text, d))
    throw Error(ErrorKind::usage,
                std::string(flag) + ": '" + std::string(text) + "' is not a duration",
                "use a number with a unit: 500ms, 2s, 15m, 12h, 7d, 2w, or several, largest first: 1h30m");
  return d;
}

std::string format_rfc3339_ms(Timestamp t) {
  return date::format("%FT%TZ", t);
}

std::string format_rfc3339_s(Timestamp t) {
  return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t));
}

Timestamp now_ms() {
  return std::chrono::floor<milliseconds>(Clock::now());
}

} // namespace auditfetch
