// A Lucene query string in one parameter: Auth0's log search `q`
// (date:[2024-05-01T00:00:00.000Z TO 2024-05-02T00:00:00.000Z} AND (type:"s" OR type:"f")
// AND user_id:"auth0|123"). Clauses are joined with an explicit AND (Lucene's default between
// clauses is OR); values are quoted phrases, so they match whole and need no escaping beyond
// '"' and '\'.
#include "expression.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace auditfetch {
namespace {

std::string phrase(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

class Lucene final : public FilterDialect {
public:
  explicit Lucene(ExpressionOptions options) : m_options(std::move(options)) {}

  NativeFilter push(const FilterTerms& terms) const override {
    NativeFilter out;
    std::vector<std::string> parts;
    if (!m_options.time_field.empty() && (terms.since || terms.until)) {
      // [since TO until}: the lower bound included, the upper excluded; * leaves an end open.
      const auto since = terms.since ? m_options.time_format->format(*terms.since, Bound::lower) : "*";
      const auto until =
          terms.until ? m_options.time_format->format(*terms.until, Bound::upper_exclusive) : "*";
      parts.push_back(fmt::format("{}:[{} TO {}{}", m_options.time_field, since, until, terms.until ? "}" : "]"));
      if (terms.since)
        out.pushed.push_back("since");
      if (terms.until)
        out.pushed.push_back("until");
    }
    for (const auto& [name, value] : terms.equals)
      if (const auto it = m_options.fields.find(name); it != m_options.fields.end()) {
        parts.push_back(fmt::format("{}:{}", it->second, phrase(value)));
        out.pushed.push_back(name);
      }
    if (const auto it = m_options.fields.find("action"); it != m_options.fields.end() && terms.actions) {
      std::vector<std::string> alternatives;
      for (const auto& value : *terms.actions)
        alternatives.push_back(fmt::format("{}:{}", it->second, phrase(value)));
      parts.push_back(alternatives.size() == 1 ? alternatives.front()
                                               : fmt::format("({})", fmt::join(alternatives, " OR ")));
      out.pushed.push_back("action");
    }
    for (const auto& native : terms.native)
      parts.push_back("(" + native + ")");
    if (!parts.empty())
      out.params.emplace_back(m_options.param, fmt::format("{}", fmt::join(parts, " AND ")));
    return out;
  }

  bool takes_native() const override { return true; }

  std::vector<std::string> pushable() const override {
    std::vector<std::string> names;
    if (!m_options.time_field.empty())
      names.insert(names.end(), {"since", "until"});
    for (auto& name : mapped_filters(m_options.fields))
      names.push_back(name);
    return names;
  }

  std::string describe() const override {
    return fmt::format("a Lucene query in the {} parameter", m_options.param);
  }

private:
  ExpressionOptions m_options;
};

} // namespace

std::unique_ptr<FilterDialect> make_lucene_dialect(DefObject& options) {
  return std::make_unique<Lucene>(read_expression_options(options));
}

} // namespace auditfetch
