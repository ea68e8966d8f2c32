// Seconds or milliseconds since 1970-01-01T00:00:00Z, as a decimal integer. Epoch seconds may
// carry a fraction when read (1712345678.123).
#include "auditfetch/time/format.hpp"

#include <charconv>

namespace auditfetch {
namespace {

using std::chrono::milliseconds;

class EpochFormat final : public TimeFormat {
public:
  explicit EpochFormat(milliseconds unit) : m_unit(unit) {}

  std::string format(Timestamp t, Bound bound) const override {
    const auto ms = t.time_since_epoch().count();
    const auto unit = m_unit.count();
    auto value = ms / unit - (ms % unit < 0 ? 1 : 0); // floor
    const bool exact = ms % unit == 0;
    if (bound == Bound::upper_exclusive && !exact)
      value += 1;
    if (bound == Bound::upper_inclusive)
      value = (exact ? ms / unit : value + 1) - 1;
    return std::to_string(value);
  }

  bool parse(std::string_view text, Timestamp& out) const override {
    long long whole = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, whole);
    if (ec != std::errc{} || ptr == text.data() || whole < 0)
      return false;
    long long fraction_ms = 0;
    if (ptr != end && *ptr == '.' && m_unit == std::chrono::seconds{1}) {
      long long scale = 100;
      for (++ptr; ptr != end && *ptr >= '0' && *ptr <= '9'; ++ptr, scale /= 10)
        fraction_ms += scale * (*ptr - '0');
    }
    // 2^63 ms is 292 million years: anything past year 9999 is not a time.
    constexpr long long k_max_ms = 253402300800000LL;
    if (ptr != end || whole > k_max_ms / m_unit.count())
      return false;
    out = Timestamp{milliseconds{whole * m_unit.count() + fraction_ms}};
    return true;
  }

private:
  milliseconds m_unit;
};

} // namespace

std::unique_ptr<TimeFormat> make_epoch_format(std::chrono::milliseconds unit) {
  return std::make_unique<EpochFormat>(unit);
}

} // namespace auditfetch
