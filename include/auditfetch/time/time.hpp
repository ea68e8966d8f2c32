#pragma once
// Time values: parsing of user input and remote timestamps, and the one output format.
// Nothing here depends on the local time zone.

#include <chrono>
#include <string>
#include <string_view>

namespace auditfetch {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
using Clock = std::chrono::system_clock;

// Parse an RFC 3339 date-time ("2018-08-22T21:47:12.859Z", "2024-05-01T02:00:00+02:00",
// lower-case t/z and a space separator accepted, fractions truncated to milliseconds).
// Throws Error(usage) on anything else.
Timestamp parse_rfc3339(std::string_view text);

// Like parse_rfc3339 but returns false instead of throwing.
bool try_parse_rfc3339(std::string_view text, Timestamp& out);

// Parse a --since/--until value: RFC 3339, a relative age ("30s", "15m", "12h", "7d", "2w",
// "1h30m"), "now", or a date or time without an offset read as UTC (see the overload with a
// zone in zone.hpp). Relative ages are subtracted from `now`; a time finer than a millisecond
// rounds up to the next one. Throws Error(usage) naming `flag`.
Timestamp parse_time_arg(std::string_view text, Timestamp now, std::string_view flag);

// Parse a duration such as "500ms", "2s", "1.5s", "15m", "12h", "7d", "2w", or several parts,
// largest unit first ("1h30m", "2d12h"); a bare number is seconds. Throws Error(usage)
// naming `flag`.
std::chrono::milliseconds parse_duration(std::string_view text, std::string_view flag);

// Format as "2018-08-22T21:47:12.859Z" (UTC, milliseconds).
std::string format_rfc3339_ms(Timestamp t);

// Format as "2018-08-22T21:47:12Z" (UTC, whole seconds, truncated).
std::string format_rfc3339_s(Timestamp t);

// Return now, truncated to milliseconds.
Timestamp now_ms();

} // namespace auditfetch
