#pragma once
// JSON record → unified Activity, as the provider definition says.

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/json/document.hpp"
#include "auditfetch/provider/context.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

// One element of the array a record fans out into (the definition's mapping.each): Google
// Workspace's events, each its own activity.
struct MappingItem {
  JsonValue value;
  std::size_t index = 0; // its position, for ids ({#} in a template)
};

struct MapOptions {
  bool remote_data = true; // false: --no-remote-data
};

// Map one record. Throws Error(remote) naming the field when a mapped value has the wrong
// type or created_at is not a time in its format. An activity without a native action has the
// action "unknown".
Activity map_record(const ProviderContext& context, JsonValue record,
                    const MapOptions& options = {});
// The same into `out`, every field set, reusing the storage its strings have: mapping a page
// into the activities of the page before allocates next to nothing.
void map_record(const ProviderContext& context, JsonValue record, const MapOptions& options,
                Activity& out, const MappingItem* item = nullptr);

// A record's time and id only (for paging that continues by keyset); nullopt when either is
// missing or unreadable (mapping the record reports why).
std::optional<std::pair<Timestamp, std::string>> record_key(const ProviderContext& context,
                                                            JsonValue record);

} // namespace auditfetch
