#include "expression.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace auditfetch {
namespace {

class ExpressionDialect final : public FilterDialect {
public:
  ExpressionDialect(ExpressionSyntax syntax, ExpressionOptions options)
      : m_syntax(std::move(syntax)), m_options(std::move(options)) {}

  NativeFilter push(const FilterTerms& terms) const override {
    NativeFilter out;
    std::vector<std::string> parts;
    const auto time = [&](Timestamp t, Bound bound) {
      const auto text = m_options.time_format->format(t, bound);
      return m_syntax.quote_times ? m_syntax.quote(text) : text;
    };
    if (!m_options.time_field.empty()) {
      if (terms.since) {
        parts.push_back(fmt::format("{} ge {}", m_options.time_field, time(*terms.since, Bound::lower)));
        out.pushed.push_back("since");
      }
      if (terms.until) {
        // With `le` the bound itself is included too: a superset the local filter trims, where
        // "the last instant before" would lose times finer than the format writes.
        parts.push_back(fmt::format("{} {} {}", m_options.time_field, m_syntax.upper_operator,
                                    time(*terms.until, Bound::upper_exclusive)));
        out.pushed.push_back("until");
      }
    }
    for (const auto& [name, value] : terms.equals)
      if (const auto* attribute = field(name)) {
        parts.push_back(fmt::format("{} eq {}", *attribute, m_syntax.quote(value)));
        out.pushed.push_back(name);
      }
    if (const auto* attribute = field("action"); attribute && terms.actions) {
      std::vector<std::string> quoted;
      for (const auto& value : *terms.actions)
        quoted.push_back(m_syntax.quote(value));
      if (quoted.size() == 1) {
        parts.push_back(fmt::format("{} eq {}", *attribute, quoted.front()));
      } else if (m_syntax.in_list) {
        parts.push_back(fmt::format("{} in ({})", *attribute, fmt::join(quoted, ",")));
      } else {
        std::vector<std::string> alternatives;
        for (const auto& q : quoted)
          alternatives.push_back(fmt::format("{} eq {}", *attribute, q));
        parts.push_back(fmt::format("({})", fmt::join(alternatives, m_syntax.or_word)));
      }
      out.pushed.push_back("action");
    }
    for (const auto& native : terms.native)
      parts.push_back("(" + native + ")");
    if (!parts.empty())
      out.params.emplace_back(m_options.param, fmt::format("{}", fmt::join(parts, m_syntax.and_word)));
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
    return fmt::format("{} in the {} parameter", m_syntax.name, m_options.param);
  }

private:
  const std::string* field(std::string_view name) const {
    const auto it = m_options.fields.find(std::string(name));
    return it == m_options.fields.end() ? nullptr : &it->second;
  }

  ExpressionSyntax m_syntax;
  ExpressionOptions m_options;
};

} // namespace

ExpressionOptions read_expression_options(DefObject& options) {
  ExpressionOptions o;
  o.param = options.require("param").string();
  if (auto t = options.get("time_field"))
    o.time_field = t->string();
  const auto format = options.get("time_format");
  o.time_format = find_time_format(format ? format->one_of(time_format_names()) : "rfc3339_ms");
  o.fields = read_filter_fields(options);
  return o;
}

std::unique_ptr<FilterDialect> make_expression_dialect(ExpressionSyntax syntax,
                                                       ExpressionOptions options) {
  return std::make_unique<ExpressionDialect>(std::move(syntax), std::move(options));
}

} // namespace auditfetch
