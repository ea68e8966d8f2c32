#pragma once
// Query → the provider's native first request, plus what must still be filtered locally.

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/http/types.hpp"
#include "auditfetch/provider/context.hpp"
#include "auditfetch/query/query.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace auditfetch {

// The unified filters, applied to every mapped activity so that a filter means the same on
// every provider whether or not the server evaluated it.
struct LocalFilter {
  std::optional<Timestamp> since;
  std::optional<Timestamp> until;
  std::vector<std::string> actions;
  std::optional<std::string> actor_id;
  std::optional<std::string> entity;
  std::optional<std::string> entity_type;

  bool matches(const Activity& activity) const;
  bool empty() const;
};

struct ListPlan {
  HttpRequest first;                 // without credentials
  std::vector<std::string> pushed;   // unified filter names evaluated by the server
  std::vector<std::string> local;    // unified filter names only evaluated here
  LocalFilter filter;
  std::size_t page_size = 0;
  std::optional<Timestamp> effective_since; // after the provider's default window
  std::optional<Timestamp> effective_until;
};

// Build the first list request. `now` anchors default windows. Throws Error(usage) when the
// query cannot be expressed (e.g. --filter for a provider without a native filter language).
ListPlan plan_list(const ProviderContext& context, const Query& query, Timestamp now);

// Build the request for one activity; throws Error(usage) when the API has no such call.
HttpRequest plan_get(const ProviderContext& context, const std::string& id);

// SCIM (RFC 7644) helpers used by the scim dialect.
std::string scim_quote(std::string_view value);

} // namespace auditfetch
