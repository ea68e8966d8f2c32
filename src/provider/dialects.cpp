// The one table of filter dialects. A new dialect is a file with its factory and a line here.
#include "auditfetch/provider/dialect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace auditfetch {

// The implementations, one file each (src/provider/dialects/).
std::unique_ptr<FilterDialect> make_scim_dialect(DefObject& options);
std::unique_ptr<FilterDialect> make_collection_filters_dialect(DefObject& options);
std::unique_ptr<FilterDialect> make_odata_dialect(DefObject& options);
std::unique_ptr<FilterDialect> make_search_phrase_dialect(DefObject& options);
std::unique_ptr<FilterDialect> make_query_params_dialect(DefObject& options);
std::unique_ptr<FilterDialect> make_lucene_dialect(DefObject& options);

namespace {

using Factory = std::unique_ptr<FilterDialect> (*)(DefObject&);

const std::map<std::string_view, Factory>& table() {
  static const std::map<std::string_view, Factory> dialects = {
      {"scim", make_scim_dialect},
      {"collection_filters", make_collection_filters_dialect},
      {"odata", make_odata_dialect},
      {"search_phrase", make_search_phrase_dialect},
      {"query_params", make_query_params_dialect},
      {"lucene", make_lucene_dialect},
  };
  return dialects;
}

} // namespace

std::vector<std::string_view> filter_dialect_names() {
  std::vector<std::string_view> names;
  for (const auto& [name, factory] : table())
    names.push_back(name);
  return names;
}

std::map<std::string, std::string> read_filter_fields(DefObject& options) {
  std::map<std::string, std::string> out;
  if (auto fields = options.get("fields")) {
    DefObject f(*fields);
    for (auto& [name, value] : f.members()) {
      if (std::find(k_mappable_filters.begin(), k_mappable_filters.end(), name) ==
          k_mappable_filters.end())
        value.fail(fmt::format("\"{}\" is not a unified filter (expected one of: action, actor_id, "
                               "entity, entity_type; times go in list.window or the dialect's "
                               "time_field)",
                               name));
      out[name] = value.string();
    }
  }
  return out;
}

std::vector<std::string> mapped_filters(const std::map<std::string, std::string>& fields) {
  std::vector<std::string> names;
  for (auto name : k_mappable_filters)
    if (fields.count(std::string(name)))
      names.emplace_back(name);
  return names;
}

std::unique_ptr<FilterDialect> make_filter_dialect(DefObject& filter) {
  const auto name = filter.require("dialect").one_of(filter_dialect_names());
  return table().at(name)(filter);
}

} // namespace auditfetch
