// A search phrase of key:value qualifiers separated by spaces, in one parameter: GitHub's
// audit-log `phrase` (created:>=2024-05-01T00:00:00Z created:<... action:repo.create
// actor_id:123). Values with spaces or quotes are quoted. One action only: the phrase has no
// OR across qualifiers that every such API documents.
#include "auditfetch/provider/dialect.hpp"
#include "auditfetch/time/format.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

namespace auditfetch {
namespace {

struct Options {
  std::string param;
  std::string time_key; // "created"; empty: times are not in the phrase
  const TimeFormat* time_format = nullptr;
  std::map<std::string, std::string> fields;
};

std::string phrase_value(std::string_view value) {
  if (!value.empty() && value.find_first_of(" \t\"") == std::string_view::npos)
    return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

class SearchPhrase final : public FilterDialect {
public:
  explicit SearchPhrase(Options options) : m_options(std::move(options)) {}

  NativeFilter push(const FilterTerms& terms) const override {
    NativeFilter out;
    std::vector<std::string> parts;
    if (!m_options.time_key.empty()) {
      if (terms.since) {
        parts.push_back(fmt::format("{}:>={}", m_options.time_key,
                                    m_options.time_format->format(*terms.since, Bound::lower)));
        out.pushed.push_back("since");
      }
      if (terms.until) {
        parts.push_back(fmt::format("{}:<{}", m_options.time_key,
                                    m_options.time_format->format(*terms.until, Bound::upper_exclusive)));
        out.pushed.push_back("until");
      }
    }
    for (const auto& [name, value] : terms.equals)
      if (const auto it = m_options.fields.find(name); it != m_options.fields.end()) {
        parts.push_back(fmt::format("{}:{}", it->second, phrase_value(value)));
        out.pushed.push_back(name);
      }
    if (const auto it = m_options.fields.find("action");
        it != m_options.fields.end() && terms.actions && terms.actions->size() == 1) {
      parts.push_back(fmt::format("{}:{}", it->second, phrase_value(terms.actions->front())));
      out.pushed.push_back("action");
    }
    parts.insert(parts.end(), terms.native.begin(), terms.native.end());
    if (!parts.empty())
      out.params.emplace_back(m_options.param, fmt::format("{}", fmt::join(parts, " ")));
    return out;
  }

  bool takes_native() const override { return true; }

  std::vector<std::string> pushable() const override {
    std::vector<std::string> names;
    if (!m_options.time_key.empty())
      names.insert(names.end(), {"since", "until"});
    for (auto& name : mapped_filters(m_options.fields))
      names.push_back(name);
    return names;
  }

  std::string describe() const override {
    return fmt::format("key:value qualifiers in the {} parameter", m_options.param);
  }

private:
  Options m_options;
};

} // namespace

std::unique_ptr<FilterDialect> make_search_phrase_dialect(DefObject& options) {
  Options o;
  o.param = options.require("param").string();
  if (auto t = options.get("time_key"))
    o.time_key = t->string();
  const auto format = options.get("time_format");
  o.time_format = find_time_format(format ? format->one_of(time_format_names()) : "rfc3339");
  o.fields = read_filter_fields(options);
  return std::make_unique<SearchPhrase>(std::move(o));
}

} // namespace auditfetch
