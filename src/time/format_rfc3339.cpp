// RFC 3339 in UTC with a fixed number of fraction digits (0 or 3) when written; any offset
// and any number of fraction digits (Graph's 7, 1Password's 9) when read.
#include "auditfetch/time/format.hpp"

#include <date/date.h>

namespace auditfetch {
namespace {

class Rfc3339Format final : public TimeFormat {
public:
  explicit Rfc3339Format(int fraction_digits) : m_digits(fraction_digits) {}

  std::string format(Timestamp t, Bound bound) const override {
    if (m_digits == 3)
      return format_rfc3339_ms(bound == Bound::upper_inclusive ? t - std::chrono::milliseconds{1} : t);
    auto seconds = std::chrono::floor<std::chrono::seconds>(t);
    if (bound == Bound::upper_exclusive && seconds < t)
      seconds += std::chrono::seconds{1};
    if (bound == Bound::upper_inclusive)
      seconds = std::chrono::ceil<std::chrono::seconds>(t) - std::chrono::seconds{1};
    return format_rfc3339_s(Timestamp{seconds});
  }

  bool parse(std::string_view text, Timestamp& out) const override {
    return try_parse_rfc3339(text, out);
  }

private:
  int m_digits;
};

} // namespace

std::unique_ptr<TimeFormat> make_rfc3339_format(int fraction_digits) {
  return std::make_unique<Rfc3339Format>(fraction_digits);
}

} // namespace auditfetch
