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
  // The order the pages come in: the definition's, or the one --order asked the API for
  // (`order_asked`, "sortOrder=ASCENDING", names the parameter sent; also the definition's
  // "ask").
  Order order = Order::unspecified;
  std::string order_asked;
};

// --order: the order to print in as the definition names it.
Order order_of(PrintOrder order);

// True when list must reverse the API's order itself to print in the query's --order: the
// API serves the other order and the definition gives no value that asks for this one.
// Throws Error(usage) when the API's order is unspecified (nothing to reverse).
bool reverses_order(const ProviderSpec& spec, const Query& query);

// Build the first list request. `now` anchors default windows. Throws Error(usage) when the
// query cannot be expressed (e.g. --filter for a provider without a native filter language).
ListPlan plan_list(const ProviderContext& context, const Query& query, Timestamp now);

// Build the request for one activity; throws Error(usage) when the API has no such call.
HttpRequest plan_get(const ProviderContext& context, const std::string& id);

} // namespace auditfetch
