#pragma once
// The Link header (RFC 8288), shared by the styles that follow it.

#include "auditfetch/paging/page.hpp"

#include <optional>
#include <string>

namespace auditfetch {

// The absolute URL of the first rel="next" link of the page's Link headers, resolved against
// the page's URL; nullopt when there is none.
std::optional<std::string> link_rel_next(const Page& page);

} // namespace auditfetch
