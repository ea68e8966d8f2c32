#pragma once

#include <string_view>
#include <vector>

namespace auditfetch {

struct BuiltinDefinition {
  std::string_view file_name;
  std::string_view json;
  std::string_view summary; // the keys of `json` that ProviderSummary reads
};

// The definitions in providers/, embedded at build time (generated source).
const std::vector<BuiltinDefinition>& builtin_definitions();

} // namespace auditfetch
