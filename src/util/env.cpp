#include "auditfetch/util/env.hpp"

#include <cstdlib>

namespace auditfetch {

std::optional<std::pair<std::string, std::string>> first_env(const std::vector<std::string>& names,
                                                             const EnvLookup& env) {
  for (const auto& name : names)
    if (auto value = env(name))
      return std::make_pair(name, *value);
  return std::nullopt;
}

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (!value || !*value)
      return std::nullopt;
    return std::string(value);
  };
}

} // namespace auditfetch
