// Each unified filter its own query parameter (Truto, ThousandEyes, Slack, Zendesk, Google):
// fields maps a unified filter to the parameter's name. A parameter holds one value, so
// several actions are only applied locally, unless the API takes a list ("separator": ",") or
// the parameter repeated ("repeat": true, Duo's event_types=a&event_types=b).
// Times go in the definition's window parameters.
#include "auditfetch/provider/dialect.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

namespace auditfetch {
namespace {

struct Options {
  std::map<std::string, std::string> fields;
  std::string separator; // empty: one value per parameter
  bool repeat = false;   // several values as the parameter repeated
};

class QueryParams final : public FilterDialect {
public:
  explicit QueryParams(Options options) : m_options(std::move(options)) {}

  NativeFilter push(const FilterTerms& terms) const override {
    NativeFilter out;
    for (const auto& [name, value] : terms.equals)
      if (const auto it = m_options.fields.find(name); it != m_options.fields.end()) {
        out.params.emplace_back(it->second, value);
        out.pushed.push_back(name);
      }
    if (const auto it = m_options.fields.find("action"); it != m_options.fields.end() && terms.actions) {
      if (m_options.repeat) {
        for (const auto& action : *terms.actions)
          out.params.emplace_back(it->second, action);
        out.pushed.push_back("action");
      } else if (terms.actions->size() == 1 || !m_options.separator.empty()) {
        out.params.emplace_back(it->second,
                                fmt::format("{}", fmt::join(*terms.actions, m_options.separator)));
        out.pushed.push_back("action");
      }
    }
    return out;
  }

  bool takes_native() const override { return false; }

  std::vector<std::string> pushable() const override {
    return mapped_filters(m_options.fields);
  }

  std::string describe() const override { return "query parameters"; }

private:
  Options m_options;
};

} // namespace

std::unique_ptr<FilterDialect> make_query_params_dialect(DefObject& options) {
  Options o;
  o.separator = options.string_or("separator", "");
  if (auto r = options.get("repeat"))
    o.repeat = r->boolean();
  if (o.repeat && !o.separator.empty())
    options.node().fail("give \"separator\" or \"repeat\", not both");
  o.fields = read_filter_fields(options);
  return std::make_unique<QueryParams>(std::move(o));
}

} // namespace auditfetch
