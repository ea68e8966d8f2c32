#pragma once
// JSON record → unified Activity, as the provider definition says.

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/mapping/json.hpp"
#include "auditfetch/provider/context.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

struct MapOptions {
  bool remote_data = true; // false: --no-remote-data
};

// Map one record. Throws Error(remote) naming the field when a mapped value has the wrong
// type or created_at is not an RFC 3339 time.
Activity map_record(const ProviderContext& context, JsonValue record,
                    const MapOptions& options = {});
// The same into `out`, every field set, reusing the storage its strings have: mapping a page
// into the activities of the page before allocates next to nothing.
void map_record(const ProviderContext& context, JsonValue record, const MapOptions& options,
                Activity& out);

// Return the unified action for a native one, or nullopt to keep the raw value.
std::optional<std::string> unified_action(const ProviderSpec& spec, std::string_view native);

// Return the exact native values that map to the unified `action`, or nullopt when some
// native value that maps to it is only known as a pattern (so the server cannot be asked).
std::optional<std::vector<std::string>> native_actions_for(const ProviderSpec& spec,
                                                           std::string_view action);

// Glob match with '*' (any run of characters); optionally ASCII case-insensitive.
bool glob_match(std::string_view pattern, std::string_view text, bool case_insensitive = false);

} // namespace auditfetch
