#pragma once
// How an API writes times: in request parameters and in its records. A definition names a
// format per parameter and per record timestamp; src/time/formats.cpp is the one table of them.

#include "auditfetch/time/time.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

// What a formatted time is used for. A format coarser than milliseconds rounds so that the
// server's range contains the one asked for (local filtering trims the rest).
enum class Bound {
  lower,           // from t, inclusive: round down
  upper_exclusive, // before t: round up
  upper_inclusive, // the API includes its bound: the last value before t
};

class TimeFormat {
public:
  virtual ~TimeFormat() = default;
  // The text of `t` for a request parameter or filter expression.
  virtual std::string format(Timestamp t, Bound bound) const = 0;
  // Read a record's time: a JSON string as it is, a JSON number as its digits. False when the
  // text is not in this format.
  virtual bool parse(std::string_view text, Timestamp& out) const = 0;
};

// The format called `name` (rfc3339, rfc3339_ms, epoch_seconds, epoch_ms), or nullptr.
const TimeFormat* find_time_format(std::string_view name);

// The names of every format, for messages.
std::vector<std::string_view> time_format_names();

} // namespace auditfetch
