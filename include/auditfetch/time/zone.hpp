#pragma once
// Time zones for what people type and read: --tz, the zone of a --since/--until written
// without one, of today/yesterday, and of the table's times. Everything else stays UTC.
// Zones come from the system's zoneinfo (tzdata) through Howard Hinnant's tz library.

#include "auditfetch/time/time.hpp"

#include <date/date.h>

#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace auditfetch {

class Zone {
public:
  Zone() = default; // UTC

  static Zone utc() { return Zone(); }
  // --tz: "UTC" (or "Z", "Etc/UTC"), "local" or an IANA name ("Europe/Paris"). "local" is $TZ
  // when it names a zone (`tz_env`, a leading ':' ignored), else the system's /etc/localtime,
  // else UTC. Throws Error(usage) naming the zone when the system does not know it.
  static Zone named(std::string_view name, const std::optional<std::string>& tz_env);

  bool is_utc() const { return m_zone == nullptr; }
  // "UTC" or the IANA name.
  std::string name() const;
  // The offset from UTC at `t`.
  std::chrono::seconds offset(Timestamp t) const;
  // The instant a wall-clock time here names: of two (the hour a clock goes back) the
  // earlier, of none (the hour a clock skips) the moment the clock jumps.
  Timestamp to_instant(date::local_time<std::chrono::milliseconds> wall) const;
  // The wall-clock time here at `t`.
  date::local_time<std::chrono::milliseconds> to_wall(Timestamp t) const;

private:
  explicit Zone(const date::time_zone* zone) : m_zone(zone) {}
  const date::time_zone* m_zone = nullptr; // null: UTC; zones live as long as the program
};

// Parse a --since/--until value. As parse_time_arg (time.hpp), and a date ("2024-05-01",
// midnight), a date and time without an offset ("2024-05-01T10:00", "2024-05-01 10:00:00.5"),
// "today" and "yesterday" (midnight) in `zone`. Pure: `now` and `zone` are all it reads.
Timestamp parse_time_arg(std::string_view text, Timestamp now, std::string_view flag, const Zone& zone);

// Format for a person in `zone`: RFC 3339 with milliseconds, "Z" in UTC, else the offset
// ("2024-05-01T12:00:00.000+02:00"), so that the text is still a valid --since.
std::string format_in_zone(Timestamp t, const Zone& zone);

} // namespace auditfetch
