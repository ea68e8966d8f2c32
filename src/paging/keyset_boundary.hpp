#pragma once
// Continuing a listing from the last time seen (SailPoint past its offset cap, Duo's
// administrator log): the records at exactly that time come again, and those already delivered
// are dropped by id.

#include "auditfetch/paging/style.hpp"

#include <optional>
#include <set>
#include <string>

namespace auditfetch {

class KeysetBoundary {
public:
  // Drop from `page` what a restart fetched again, and remember where the page ends.
  void accept(Page& page, const PagingSetup& setup);

  // The time to restart from, after checking that it moves forward; throws Error(remote)
  // naming the page when more than a page of records share one time (`capacity`: how many).
  Timestamp restart_time(const Page& page, std::size_t capacity);

  bool seen_any() const { return m_last_time.has_value(); }
  // The last restart brought nothing later than the time it restarted from.
  bool stuck() const { return m_boundary_time && m_last_time && *m_boundary_time == *m_last_time; }
  std::optional<Timestamp> last_time() const { return m_last_time; }

private:
  std::optional<Timestamp> m_last_time;
  std::set<std::string> m_ids_at_last_time;
  std::optional<Timestamp> m_boundary_time; // after a restart
  std::set<std::string> m_boundary_ids;
};

} // namespace auditfetch
