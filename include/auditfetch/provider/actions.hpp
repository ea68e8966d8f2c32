#pragma once
// A definition's action table: native action → unified action, and back for pushdown.

#include "auditfetch/provider/spec.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

// Glob match with '*' (any run of characters); optionally ASCII case-insensitive.
bool glob_match(std::string_view pattern, std::string_view text, bool case_insensitive = false);

// The unified action for a native one, when a rule without a condition on the record gives
// it; nullopt to keep the raw value.
std::optional<std::string> unified_action(const ProviderSpec& spec, std::string_view native);

// The exact native values the server can be asked for to find every activity with the unified
// `action`: nullopt when some native value that maps to it is only known as a pattern. Values
// of rules with a condition on the record are included (a superset: the local filter trims).
std::optional<std::vector<std::string>> native_actions_for(const ProviderSpec& spec,
                                                           std::string_view action);

} // namespace auditfetch
