#pragma once
// Environment variables, looked up through a function so that tests need no real environment.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace auditfetch {

using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The process environment (empty values count as unset).
EnvLookup process_environment();

// Return the first of `names` that is set, with its value.
std::optional<std::pair<std::string, std::string>> first_env(const std::vector<std::string>& names,
                                                             const EnvLookup& env);

} // namespace auditfetch
