#pragma once
// The unified query: what the user asked for, independent of any provider.

#include "auditfetch/time/time.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace auditfetch {

struct Query {
  std::optional<Timestamp> since; // inclusive
  std::optional<Timestamp> until; // exclusive
  std::vector<std::string> actions; // unified or provider-native values, OR-ed
  std::optional<std::string> actor_id;
  std::optional<std::string> entity;
  std::optional<std::string> entity_type;
  std::vector<std::string> native_filters; // provider-native expressions, AND-ed
  std::vector<std::pair<std::string, std::string>> params; // raw query passthrough
  std::optional<std::size_t> limit;
  std::optional<std::size_t> page_size;
};

// Parse "k=v" for --param; throws Error(usage).
std::pair<std::string, std::string> parse_param(const std::string& text);

} // namespace auditfetch
