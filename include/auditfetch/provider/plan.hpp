#pragma once
// Query → the provider's native first request, plus what must still be filtered locally.

#include "auditfetch/http/types.hpp"
#include "auditfetch/provider/context.hpp"
#include "auditfetch/query/query.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace auditfetch {

struct ListPlan {
  HttpRequest first;               // without credentials
  std::vector<std::string> pushed; // unified filter names evaluated by the server
  std::vector<std::string> local;  // unified filter names only evaluated here
  // Native forms of what was pushed: "filter=eventType eq \"user.session.start\"".
  std::vector<std::pair<std::string, std::string>> native;
  LocalFilter filter;              // every filter, applied to every activity
  std::size_t page_size = 0;
  std::optional<Timestamp> effective_since; // after the provider's default window
  std::optional<Timestamp> effective_until;
  // The filters and settings, without the time window: a resume point belongs to them.
  std::string fingerprint;
};

// Build the first list request. `now` anchors default windows. Throws Error(usage) when the
// query cannot be expressed (e.g. --filter for a provider without a native filter language).
ListPlan plan_list(const ProviderContext& context, const Query& query, Timestamp now);

// Build the request for one activity; throws Error(usage) when the API has no such call.
HttpRequest plan_get(const ProviderContext& context, const std::string& id);

} // namespace auditfetch
