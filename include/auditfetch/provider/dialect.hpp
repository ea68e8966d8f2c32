#pragma once
// Filter dialects: how the unified filters become a provider's native query (one SCIM
// expression, an OData $filter, a search phrase, one parameter per filter, ...). One
// interface; each dialect is a file in src/provider/dialects/, registered in
// src/provider/dialects.cpp. Pure.

#include "auditfetch/json/definition.hpp"
#include "auditfetch/time/time.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace auditfetch {

// What the planner asks a dialect to push down: only what the window parameters did not.
struct FilterTerms {
  std::optional<Timestamp> since; // inclusive
  std::optional<Timestamp> until; // exclusive
  // The native values the requested actions stand for (OR-ed); nullopt when there are none
  // or they cannot be asked of the server (a unified action backed by a pattern). The values
  // may be a superset (a rule with a condition on the record): the local filter trims.
  std::optional<std::vector<std::string>> actions;
  // Exact matches on unified fields: "actor_id", "entity", "entity_type".
  std::vector<std::pair<std::string, std::string>> equals;
  std::vector<std::string> native; // --filter expressions, AND-ed
};

// What a dialect made of the terms.
struct NativeFilter {
  std::vector<std::pair<std::string, std::string>> params; // query parameters
  std::vector<std::string> pushed; // unified filter names the server evaluates
};

class FilterDialect {
public:
  virtual ~FilterDialect() = default;
  virtual NativeFilter push(const FilterTerms& terms) const = 0;
  // Whether --filter EXPR has a place (the dialect has one native expression).
  virtual bool takes_native() const = 0;
  // The unified filters this dialect can push, for `providers NAME`: "since", "action", ...
  virtual std::vector<std::string> pushable() const = 0;
  // "a SCIM expression in the filter parameter".
  virtual std::string describe() const = 0;
};

// The dialect a definition's filter names ({"dialect": NAME, ...}).
std::unique_ptr<FilterDialect> make_filter_dialect(DefObject& filter);

std::vector<std::string_view> filter_dialect_names();

// The unified filters a dialect may map to native names.
inline const std::vector<std::string_view> k_mappable_filters = {"action", "actor_id", "entity",
                                                                 "entity_type"};

// Read a dialect's "fields": unified filter → native name; other keys are definition problems.
std::map<std::string, std::string> read_filter_fields(DefObject& options);

// The unified filters `fields` maps, in k_mappable_filters order.
std::vector<std::string> mapped_filters(const std::map<std::string, std::string>& fields);

} // namespace auditfetch
