#include "paging/keyset_boundary.hpp"

#include "auditfetch/util/error.hpp"

#include <fmt/format.h>

namespace auditfetch {

void KeysetBoundary::accept(Page& page, const PagingSetup& setup) {
  if (!setup.record_key)
    return;
  auto& records = *page.records;
  for (auto it = records.begin(); it != records.end();) {
    const auto key = setup.record_key(*it);
    if (!key) {
      ++it; // mapping reports it
      continue;
    }
    const auto& [t, id] = *key;
    if (m_boundary_time && t == *m_boundary_time && m_boundary_ids.count(id)) {
      it = records.erase(it);
      continue;
    }
    if (!m_last_time || t > *m_last_time) {
      m_last_time = t;
      m_ids_at_last_time = {id};
    } else if (t == *m_last_time) {
      m_ids_at_last_time.insert(id);
    }
    ++it;
  }
}

Timestamp KeysetBoundary::restart_time(const Page& page, std::size_t capacity) {
  if (stuck())
    throw Error(ErrorKind::remote,
                fmt::format("page {}: more than {} activities share the time {}; the API cannot "
                            "page past them",
                            page.number, capacity, format_rfc3339_ms(*m_last_time)));
  m_boundary_time = m_last_time;
  m_boundary_ids = m_ids_at_last_time;
  return *m_last_time;
}

} // namespace auditfetch
