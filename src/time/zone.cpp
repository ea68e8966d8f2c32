// Time zones from the system's zoneinfo, through Howard Hinnant's tz library (libdate-tz,
// built by Debian to read /usr/share/zoneinfo: USE_OS_TZDB). The only file that includes it.
#include "auditfetch/time/zone.hpp"

#include "auditfetch/util/error.hpp"

#include <date/tz.h>

#include <fmt/format.h>

#include <cstdlib>

namespace auditfetch {
namespace {

using std::chrono::milliseconds;

bool is_utc_name(std::string_view name) {
  return name == "UTC" || name == "utc" || name == "Z" || name == "Etc/UTC" || name == "UCT" ||
         name == "Etc/UCT" || name == "Zulu" || name == "Etc/Zulu" || name == "Universal" ||
         name == "GMT" || name == "Etc/GMT";
}

const date::time_zone* find_zone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr; // not in the database, or no database at all
  }
}

} // namespace

Zone Zone::named(std::string_view name, const std::optional<std::string>& tz_env) {
  if (is_utc_name(name))
    return utc();
  if (name == "local") {
    if (tz_env && !tz_env->empty()) {
      const std::string_view tz = (*tz_env)[0] == ':' ? std::string_view(*tz_env).substr(1) : *tz_env;
      if (is_utc_name(tz))
        return utc();
      if (const auto* zone = find_zone(tz))
        return Zone(zone);
      throw Error(ErrorKind::usage, fmt::format("--tz local: TZ={} is not a zone this system knows", *tz_env),
                  "set TZ to a zone name such as Europe/Paris, or pass --tz with one");
    }
    try {
      const auto* zone = date::current_zone();
      return is_utc_name(zone->name()) ? utc() : Zone(zone);
    } catch (const std::exception&) {
      return utc(); // no /etc/localtime: the system's local time is UTC
    }
  }
  if (const auto* zone = find_zone(name))
    return Zone(zone);
  throw Error(ErrorKind::usage, fmt::format("--tz: unknown time zone '{}'", name),
              "use local, UTC or a zone name such as Europe/Paris or America/New_York "
              "(the system's zoneinfo, package tzdata)");
}

std::string Zone::name() const {
  return m_zone ? std::string(m_zone->name()) : std::string("UTC");
}

std::chrono::seconds Zone::offset(Timestamp t) const {
  return m_zone ? m_zone->get_info(t).offset : std::chrono::seconds{0};
}

Timestamp Zone::to_instant(date::local_time<milliseconds> wall) const {
  if (!m_zone)
    return Timestamp{wall.time_since_epoch()};
  // earliest: of an hour that comes twice the first; of one that never comes, the jump.
  return m_zone->to_sys(wall, date::choose::earliest);
}

date::local_time<milliseconds> Zone::to_wall(Timestamp t) const {
  if (!m_zone)
    return date::local_time<milliseconds>{t.time_since_epoch()};
  return m_zone->to_local(t);
}

std::string format_in_zone(Timestamp t, const Zone& zone) {
  if (zone.is_utc())
    return format_rfc3339_ms(t);
  const auto offset = std::chrono::duration_cast<std::chrono::minutes>(zone.offset(t));
  const auto minutes = offset.count() < 0 ? -offset.count() : offset.count();
  return fmt::format("{}{}{:02}:{:02}", date::format("%FT%T", zone.to_wall(t)), offset.count() < 0 ? '-' : '+',
                     minutes / 60, minutes % 60);
}

} // namespace auditfetch
