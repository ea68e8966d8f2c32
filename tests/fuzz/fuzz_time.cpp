// Fuzz time parsing: --since/--until values (RFC 3339, dates and times without an offset,
// ages, compound ages, today, yesterday, "now"), durations (--overlap,
// --interval) and the RFC 3339 parser that reads every remote timestamp.
#include "fuzz_support.hpp"

#include <cctype>
#include <chrono>

using namespace auditfetch;
using namespace auditfetch::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = as_text(data, size);
  const auto now = fixed_now();

  Timestamp t{};
  const bool rfc3339 = try_parse_rfc3339(text, t);
  if (rfc3339) {
    // What parses formats back to text that parses to the same millisecond (years 1..9999:
    // an offset may push year 0000 out of the four-digit range).
    const auto formatted = format_rfc3339_ms(t);
    const auto seconds = format_rfc3339_s(t);
    const auto year = static_cast<int>(
        std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(t)}.year());
    if (year >= 1 && year <= 9999) {
      Timestamp again{};
      if (!try_parse_rfc3339(formatted, again) || again != t)
        fail("format_rfc3339_ms does not parse back to the same time");
      if (formatted.size() != 24 || seconds.size() != 20)
        fail("formatted time has the wrong length");
    }
  }

  try {
    const auto arg = parse_time_arg(text, now, "--since");
    // A bound finer than a millisecond moves to the next millisecond (parse_time_arg).
    if (rfc3339 && arg != t && arg != t + std::chrono::milliseconds{1})
      fail("parse_time_arg disagrees with parse_rfc3339");
    // An age (it ends in its unit) never lies in the future; today and yesterday neither. A
    // date or a time without an offset may.
    if (!rfc3339 && !text.empty() && std::isalpha(static_cast<unsigned char>(text.back())) && text != "now" &&
        arg > now)
      fail("an age lies in the future");
  } catch (const Error& e) {
    if (rfc3339 || text == "now")
      fail("parse_time_arg refused an RFC 3339 time or 'now'");
    if (e.kind() != ErrorKind::usage)
      fail("parse_time_arg threw a non-usage error");
  }

  try {
    const auto d = parse_duration(text, "--overlap");
    if (d.count() < 0)
      fail("negative duration");
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::usage)
      fail("parse_duration threw a non-usage error");
  }
  return 0;
}
