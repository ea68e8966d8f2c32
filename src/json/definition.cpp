#include "auditfetch/json/definition.hpp"

#include "auditfetch/util/error.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace auditfetch {
namespace json = boost::json;

void DefNode::fail(std::string_view problem) const {
  throw DefinitionProblem{m_path, std::string(problem)};
}

std::string DefNode::string() const {
  if (!m_value.is_string())
    fail("expected a string");
  return std::string(m_value.get_string());
}

bool DefNode::boolean() const {
  if (!m_value.is_bool())
    fail("expected true or false");
  return m_value.get_bool();
}

std::size_t DefNode::count() const {
  if (const auto* n = m_value.if_int64(); n && *n > 0)
    return static_cast<std::size_t>(*n);
  if (const auto* n = m_value.if_uint64(); n && *n > 0)
    return static_cast<std::size_t>(*n);
  fail("expected a positive integer");
}

long long DefNode::integer() const {
  if (const auto* n = m_value.if_int64())
    return *n;
  fail("expected an integer");
}

std::vector<DefNode> DefNode::array() const {
  if (!m_value.is_array())
    fail("expected an array");
  std::vector<DefNode> items;
  const auto& a = m_value.get_array();
  for (std::size_t i = 0; i < a.size(); ++i)
    items.emplace_back(a[i], fmt::format("{}[{}]", m_path, i));
  return items;
}

std::vector<std::string> DefNode::strings() const {
  std::vector<std::string> out;
  for (const auto& item : array())
    out.push_back(item.string());
  return out;
}

std::vector<std::string> DefNode::one_or_more_strings() const {
  if (m_value.is_string())
    return {string()};
  return strings();
}

std::string DefNode::pointer() const {
  auto text = string();
  if (!text.empty() && text.front() != '/')
    fail(fmt::format("\"{}\" is not a JSON pointer (it must start with '/')", text));
  return text;
}

std::string DefNode::template_text(const TemplateScope& scope,
                                   std::initializer_list<std::string_view> extra) const {
  auto text = string();
  for (auto open = text.find('{'); open != std::string::npos; open = text.find('{', open + 1)) {
    const auto close = text.find('}', open);
    if (close == std::string::npos)
      fail(fmt::format("template \"{}\": unclosed '{{'", text));
    const auto name = std::string_view(text).substr(open + 1, close - open - 1);
    bool known = scope.allows(name);
    for (auto e : extra)
      known = known || e == name;
    if (!known) {
      std::string names;
      for (const auto& n : scope.names)
        names += (names.empty() ? "" : ", ") + n;
      for (auto e : extra)
        names += (names.empty() ? "" : ", ") + std::string(e);
      fail(fmt::format("template \"{}\" refers to {{{}}}, which is not a setting (known: {})", text,
                       name, names.empty() ? "none" : names));
    }
  }
  return text;
}

std::string DefNode::one_of(const std::vector<std::string_view>& names) const {
  const auto text = string();
  for (auto name : names)
    if (name == text)
      return text;
  std::string list;
  for (auto name : names)
    list += (list.empty() ? "" : ", ") + std::string(name);
  fail(fmt::format("unknown value \"{}\" (expected one of: {})", text, list));
}

DefObject::DefObject(const DefNode& node) : m_node(node) {
  if (!node.value().is_object())
    node.fail("expected an object");
}

std::string DefObject::child_path(std::string_view key) const {
  return m_node.path().empty() ? std::string(key) : fmt::format("{}.{}", m_node.path(), key);
}

std::optional<DefNode> DefObject::get(std::string_view key) {
  m_used.insert(std::string(key));
  const auto* v = m_node.value().get_object().if_contains(key);
  if (!v)
    return std::nullopt;
  return DefNode(*v, child_path(key));
}

DefNode DefObject::require(std::string_view key) {
  auto node = get(key);
  if (!node)
    m_node.fail(fmt::format("missing key \"{}\"", key));
  return *node;
}

std::string DefObject::string_or(std::string_view key, std::string fallback) {
  auto node = get(key);
  return node ? node->string() : std::move(fallback);
}

std::vector<std::pair<std::string, DefNode>> DefObject::members() {
  std::vector<std::pair<std::string, DefNode>> out;
  for (const auto& member : m_node.value().get_object()) {
    const std::string key(member.key());
    m_used.insert(key);
    out.emplace_back(key, DefNode(member.value(), child_path(key)));
  }
  return out;
}

void DefObject::done() const {
  for (const auto& member : m_node.value().get_object())
    if (!m_used.count(std::string(member.key())))
      throw DefinitionProblem{child_path(member.key()),
                              fmt::format("unknown key \"{}\"", std::string_view(member.key()))};
}

namespace {

std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// A small scanner over valid JSON text, to find where a path's value starts: Boost.JSON
// keeps no positions, and a definition's author wants a line number.
class Locator {
public:
  explicit Locator(std::string_view text) : m_text(text) {}

  // Return the offset of the value at `path` ("list.pagination.style", "actions[2].unified"),
  // or of the deepest part found.
  std::size_t find(std::string_view path) {
    std::size_t pos = skip_space(0);
    std::size_t best = pos;
    while (!path.empty()) {
      if (path.front() == '.')
        path.remove_prefix(1);
      if (!path.empty() && path.front() == '[') {
        // A key of the definition may itself hold '[' ("[x" in an unknown-key error).
        const auto close = path.find(']');
        if (close == std::string_view::npos)
          return best;
        std::size_t index = 0;
        const auto digits = path.substr(1, close - 1);
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
        if (ec != std::errc{} || end != digits.data() + digits.size())
          return best;
        path.remove_prefix(close + 1);
        if (!element(pos, index))
          return best;
      } else {
        const auto end = path.find_first_of(".[");
        const auto key = path.substr(0, end);
        path.remove_prefix(end == std::string_view::npos ? path.size() : end);
        if (!member(pos, key))
          return best;
      }
      best = pos;
    }
    return best;
  }

private:
  std::size_t skip_space(std::size_t pos) const {
    while (pos < m_text.size() && std::isspace(static_cast<unsigned char>(m_text[pos])))
      ++pos;
    return pos;
  }

  std::size_t skip_string(std::size_t pos) const {
    for (++pos; pos < m_text.size() && m_text[pos] != '"'; ++pos)
      if (m_text[pos] == '\\')
        ++pos;
    return pos + 1;
  }

  std::size_t skip_value(std::size_t pos) const {
    if (pos >= m_text.size())
      return pos;
    if (m_text[pos] == '"')
      return skip_string(pos);
    if (m_text[pos] == '{' || m_text[pos] == '[') {
      int depth = 0;
      for (; pos < m_text.size(); ++pos) {
        const char c = m_text[pos];
        if (c == '"') {
          pos = skip_string(pos) - 1;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          return pos + 1;
        }
      }
      return pos;
    }
    while (pos < m_text.size() && m_text[pos] != ',' && m_text[pos] != '}' && m_text[pos] != ']')
      ++pos;
    return pos;
  }

  // Move pos from an object to the value of its member `key`.
  bool member(std::size_t& pos, std::string_view key) const {
    if (pos >= m_text.size() || m_text[pos] != '{')
      return false;
    std::size_t p = skip_space(pos + 1);
    while (p < m_text.size() && m_text[p] == '"') {
      const auto end = skip_string(p);
      const auto name = m_text.substr(p + 1, end - p - 2);
      p = skip_space(end);
      if (p >= m_text.size() || m_text[p] != ':')
        return false;
      p = skip_space(p + 1);
      if (name == key) {
        pos = p;
        return true;
      }
      p = skip_space(skip_value(p));
      if (p < m_text.size() && m_text[p] == ',')
        p = skip_space(p + 1);
    }
    return false;
  }

  // Move pos from an array to its element `index`.
  bool element(std::size_t& pos, std::size_t index) const {
    if (pos >= m_text.size() || m_text[pos] != '[')
      return false;
    std::size_t p = skip_space(pos + 1);
    for (std::size_t i = 0; i < index; ++i) {
      p = skip_space(skip_value(p));
      if (p >= m_text.size() || m_text[p] != ',')
        return false;
      p = skip_space(p + 1);
    }
    pos = p;
    return true;
  }

  std::string_view m_text;
};

} // namespace

json::value parse_definition_text(std::string_view text, const std::string& origin) {
  json::stream_parser parser;
  boost::system::error_code ec;
  const auto consumed = parser.write(text.data(), text.size(), ec);
  if (!ec)
    parser.finish(ec);
  if (ec) {
    const auto [line, column] = line_and_column(text, consumed);
    throw Error(ErrorKind::usage,
                fmt::format("{}:{}:{}: invalid JSON: {}", origin, line, column, ec.message()));
  }
  return parser.release();
}

std::size_t definition_line(std::string_view text, std::string_view path) {
  return line_and_column(text, Locator(text).find(path)).first;
}

void with_definition_lines(std::string_view text, const std::string& origin,
                           const std::function<void()>& read) {
  try {
    read();
  } catch (const DefinitionProblem& p) {
    throw Error(ErrorKind::usage,
                fmt::format("{}:{}: {}{}{}", origin, definition_line(text, p.path), p.path,
                            p.path.empty() ? "" : ": ", p.problem),
                "see the README's 'Provider definitions'");
  }
}

} // namespace auditfetch
