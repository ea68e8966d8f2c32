#pragma once
// Reading provider definitions (JSON written by people): every value is read through a Node
// that knows its path ("list.pagination.style"), so that a problem names where it is, and an
// Object refuses keys nobody asked for, so that a typo fails instead of being ignored.
// load_definition_json turns a DefinitionProblem into "FILE:LINE: path: problem".

#include <boost/json/value.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

// A problem at a JSON path of a definition.
struct DefinitionProblem {
  std::string path;
  std::string problem;
};

// The names a definition's templates may use ({environment-id}, {tld}): its settings and the
// variables their choices define. Plugins check their templates against it.
struct TemplateScope {
  std::set<std::string> names;
  // Extra names that only some templates may use, e.g. {id} in the path of `get`.
  bool allows(std::string_view name) const { return names.count(std::string(name)) > 0; }
};

class DefNode {
public:
  DefNode(const boost::json::value& value, std::string path) : m_value(value), m_path(std::move(path)) {}

  [[noreturn]] void fail(std::string_view problem) const;

  const boost::json::value& value() const { return m_value; }
  const std::string& path() const { return m_path; }

  std::string string() const;
  bool boolean() const;
  std::size_t count() const; // a positive integer
  long long integer() const; // any integer
  std::vector<DefNode> array() const;
  std::vector<std::string> strings() const;
  std::vector<std::string> one_or_more_strings() const; // a string or an array of strings

  // A JSON pointer ("" or starting with '/').
  std::string pointer() const;
  // A string whose {name} placeholders all are in `scope` (extra: further allowed names).
  std::string template_text(const TemplateScope& scope,
                            std::initializer_list<std::string_view> extra = {}) const;
  // One of `names`; the error lists them.
  std::string one_of(const std::vector<std::string_view>& names) const;

private:
  const boost::json::value& m_value;
  std::string m_path;
};

// Reads an object's keys; done() rejects keys nobody asked for.
class DefObject {
public:
  explicit DefObject(const DefNode& node);

  std::optional<DefNode> get(std::string_view key);
  DefNode require(std::string_view key);
  std::string string_or(std::string_view key, std::string fallback);
  // The members in the order written, each marked as read.
  std::vector<std::pair<std::string, DefNode>> members();

  const DefNode& node() const { return m_node; }
  void done() const;

private:
  std::string child_path(std::string_view key) const;

  DefNode m_node; // by value: callers pass temporaries (DefObject o(parent.require("x")))
  std::set<std::string> m_used;
};

// Parse definition text; throws Error(usage) "ORIGIN:LINE:COLUMN: invalid JSON: ..." on a
// syntax error.
boost::json::value parse_definition_text(std::string_view text, const std::string& origin);

// Run `read` over the parsed text and turn a DefinitionProblem into Error(usage)
// "ORIGIN:LINE: path: problem", the line found by walking the text to the path.
void with_definition_lines(std::string_view text, const std::string& origin,
                           const std::function<void()>& read);

// The 1-based line of the value at `path` in `text` (or of the deepest part of it found).
std::size_t definition_line(std::string_view text, std::string_view path);

} // namespace auditfetch
