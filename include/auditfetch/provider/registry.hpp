#pragma once
// Loading and looking up provider definitions.

#include "auditfetch/provider/spec.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

// Parse one definition. Throws Error(usage) as "<origin>:<line>:<column>: <problem>" for
// JSON syntax errors and "<origin>: <json path>: <problem>" for a wrong or unknown key.
ProviderSpec parse_definition(std::string_view json, const std::string& origin);

// Parse the summary part of a definition (name, description, settings, one_of); other keys
// are left unread.
ProviderSummary parse_summary(std::string_view json, const std::string& origin);

class Registry {
public:
  // The built-in definitions. Only their summaries are read here (embedded at build time);
  // a definition is read whole the first time find() asks for it.
  static Registry builtin();

  // Add or replace (by name) a provider.
  void add(ProviderSpec spec);

  // Add every *.json definition in `directory`, in name order. A missing directory is
  // skipped unless `required`; a malformed file throws Error(usage) naming file and line.
  void load_directory(const std::string& directory, bool required);

  // Return the provider called `name` (matched without regard to case); throws Error(usage)
  // listing the known names. Safe to call from several threads.
  const ProviderSpec& find(std::string_view name) const;
  const ProviderSpec* find_if(std::string_view name) const;
  // The same without reading the whole definition.
  const ProviderSummary* summary_if(std::string_view name) const;

  // Providers in name order.
  const std::vector<ProviderSummary>& all() const { return m_summaries; }

private:
  struct Entry {
    std::string_view text; // a built-in definition, read when first used
    std::string origin;
    mutable std::once_flag read;
    mutable std::unique_ptr<ProviderSpec> spec;
  };
  std::size_t index_of(std::string_view name) const; // npos when unknown
  void insert(ProviderSummary summary, std::unique_ptr<Entry> entry);

  std::vector<ProviderSummary> m_summaries;  // name order
  std::vector<std::unique_ptr<Entry>> m_entries; // the same order
};

} // namespace auditfetch
