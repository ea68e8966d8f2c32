#pragma once
// Loading and looking up provider definitions.

#include "auditfetch/provider/spec.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

// Parse one definition. Throws Error(usage) as "<origin>:<line>:<column>: <problem>" for
// JSON syntax errors and "<origin>: <json path>: <problem>" for a wrong or unknown key.
ProviderSpec parse_definition(std::string_view json, const std::string& origin);

class Registry {
public:
  // The built-in definitions.
  static Registry builtin();

  // Add or replace (by name) a provider.
  void add(ProviderSpec spec);

  // Add every *.json definition in `directory`, in name order. A missing directory is
  // skipped unless `required`; a malformed file throws Error(usage) naming file and line.
  void load_directory(const std::string& directory, bool required);

  // Return the provider called `name`; throws Error(usage) listing the known names.
  const ProviderSpec& find(std::string_view name) const;
  const ProviderSpec* find_if(std::string_view name) const;

  // Providers in name order.
  const std::vector<ProviderSpec>& all() const { return m_specs; }

private:
  std::vector<ProviderSpec> m_specs;
};

} // namespace auditfetch
