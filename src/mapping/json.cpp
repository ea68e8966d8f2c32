#include "auditfetch/mapping/json.hpp"

#include "auditfetch/http/types.hpp"
#include "output/utf8.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <charconv>
#include <mutex>
#include <vector>

namespace auditfetch {
namespace {

namespace dom = simdjson::dom;

// One parser per thread: its buffers are reused from page to page.
dom::parser& thread_parser() {
  thread_local dom::parser parser;
  return parser;
}

// Documents of finished pages, for the next pages. A page is parsed while the one before it
// waits and an earlier one is written, so a few suffice.
class DocumentPool {
public:
  std::unique_ptr<dom::document> take() {
    std::lock_guard lock(m_mutex);
    if (m_free.empty())
      return std::make_unique<dom::document>();
    auto document = std::move(m_free.back());
    m_free.pop_back();
    return document;
  }

  void give(dom::document* document) noexcept {
    std::unique_ptr<dom::document> owned(document);
    try {
      std::lock_guard lock(m_mutex);
      if (m_free.size() < k_kept)
        m_free.push_back(std::move(owned));
    } catch (...) {
      // Not kept: freed.
    }
  }

private:
  static constexpr std::size_t k_kept = 4;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<dom::document>> m_free;
};

DocumentPool& document_pool() {
  static DocumentPool pool;
  return pool;
}

// Undo the ~1 and ~0 escapes of a pointer step; false for any other '~'.
bool unescape_step(std::string_view step, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < step.size(); ++i) {
    if (step[i] != '~') {
      out += step[i];
      continue;
    }
    if (i + 1 == step.size() || (step[i + 1] != '0' && step[i + 1] != '1'))
      return false;
    out += step[++i] == '0' ? '~' : '/';
  }
  return true;
}

std::optional<std::size_t> array_index(std::string_view step) {
  if (step.empty() || (step.size() > 1 && step[0] == '0'))
    return std::nullopt;
  std::size_t index = 0;
  const auto [end, ec] = std::from_chars(step.data(), step.data() + step.size(), index);
  if (ec != std::errc() || end != step.data() + step.size())
    return std::nullopt;
  return index;
}

std::optional<JsonValue> child(JsonValue parent, std::string_view step) {
  if (parent.is_object()) {
    // Runs for every step of every mapped pointer of every record: compares keys in place
    // without making an element of each member.
    const dom::object object(parent);
    std::optional<JsonValue> found;
    for (auto it = object.begin(); it != object.end(); ++it)
      if (it.key_equals(step))
        found = it.value(); // the last of duplicate keys, as Boost.JSON keeps it
    return found;
  }
  if (parent.is_array()) {
    const auto index = array_index(step);
    if (!index)
      return std::nullopt;
    std::size_t i = 0;
    for (const auto item : dom::array(parent))
      if (i++ == *index)
        return item;
  }
  return std::nullopt;
}

// Characters Boost.JSON escapes: '"', '\\' and the C0 controls; 0 means "copy as it is".
constexpr std::array<char, 256> k_escapes = [] {
  std::array<char, 256> table{};
  for (int c = 0; c < 0x20; ++c)
    table[c] = 'u';
  table['\b'] = 'b';
  table['\f'] = 'f';
  table['\n'] = 'n';
  table['\r'] = 'r';
  table['\t'] = 't';
  table['"'] = '"';
  table['\\'] = '\\';
  return table;
}();

void append_string(std::string& out, std::string_view text) {
  constexpr char k_hex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char escape = k_escapes[static_cast<unsigned char>(text[i])];
    if (escape == 0)
      continue;
    out.append(text, run, i - run);
    run = i + 1;
    out += '\\';
    out += escape;
    if (escape == 'u') {
      const auto c = static_cast<unsigned char>(text[i]);
      out += "00";
      out += k_hex[c >> 4];
      out += k_hex[c & 0xF];
    }
  }
  out.append(text, run, text.size() - run);
  out += '"';
}

template <class Number> void append_number(std::string& out, Number n) {
  char text[24];
  const auto end = std::to_chars(text, text + sizeof text, n).ptr;
  out.append(text, end);
}

std::optional<char32_t> hex4(std::string_view text, std::size_t pos) {
  if (pos + 4 > text.size())
    return std::nullopt;
  char32_t value = 0;
  for (std::size_t i = pos; i < pos + 4; ++i) {
    const char c = text[i];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
    if (digit < 0)
      return std::nullopt;
    value = value << 4 | static_cast<char32_t>(digit);
  }
  return value;
}

// The text with bytes that are not UTF-8 replaced by U+FFFD, and \u escapes of half a
// surrogate pair by \ufffd. Everything else, valid JSON or not, is left as it is.
std::string repaired_json_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 64);
  bool in_string = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto c = static_cast<unsigned char>(text[pos]);
    if (c >= 0x80) {
      const auto cp = utf8::decode(text, pos);
      if (cp.length == 0) {
        out += utf8::k_replacement;
        ++pos;
      } else {
        out.append(text, pos, cp.length);
        pos += cp.length;
      }
      continue;
    }
    if (c == '"') {
      in_string = !in_string;
    } else if (in_string && c == '\\' && pos + 1 < text.size()) {
      if (text[pos + 1] == 'u') {
        if (const auto unit = hex4(text, pos + 2); unit && *unit >= 0xD800 && *unit <= 0xDFFF) {
          const bool high = *unit <= 0xDBFF;
          const auto low = high && pos + 8 < text.size() && text[pos + 6] == '\\' &&
                                   text[pos + 7] == 'u'
                               ? hex4(text, pos + 8)
                               : std::nullopt;
          if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
            out.append(text, pos, 12); // a whole pair
            pos += 12;
          } else {
            out += "\\ufffd";
            pos += 6;
          }
          continue;
        }
      }
      out.append(text, pos, 2); // an escape: its second character never ends the string
      pos += 2;
      continue;
    }
    out += static_cast<char>(c);
    ++pos;
  }
  return out;
}

// Reads JSON text from the start without building anything, for find_string_in_prefix.
// Every read is bounds-checked against `end`; a false return means "not JSON as far as read,
// or cut off by the limit".
class PrefixScanner {
public:
  PrefixScanner(std::string_view text, std::size_t limit)
      : m_text(text.data()), m_end(std::min(text.size(), limit)) {}

  bool at_end() const { return m_pos >= m_end; }
  char peek() const { return m_text[m_pos]; }

  void skip_space() {
    while (m_pos < m_end && (peek() == ' ' || peek() == '\n' || peek() == '\r' || peek() == '\t'))
      ++m_pos;
  }

  bool expect(char c) {
    skip_space();
    if (at_end() || peek() != c)
      return false;
    ++m_pos;
    return true;
  }

  // A string token, quotes included, at the current position.
  bool string_token(std::string_view& token) {
    if (at_end() || peek() != '"')
      return false;
    const auto start = m_pos++;
    while (m_pos < m_end) {
      const char c = m_text[m_pos++];
      if (c == '\\') {
        ++m_pos; // the escaped character, whatever it is
      } else if (c == '"') {
        token = std::string_view(m_text + start, m_pos - start);
        return true;
      }
    }
    return false;
  }

  // Any value: strings with their escapes, containers by nesting, scalars up to a delimiter.
  bool skip_value() {
    skip_space();
    if (at_end())
      return false;
    std::string_view token;
    const char first = peek();
    if (first == '"')
      return string_token(token);
    if (first == '{' || first == '[') {
      std::size_t depth = 0;
      while (m_pos < m_end) {
        const char c = peek();
        if (c == '"') {
          if (!string_token(token))
            return false;
          continue;
        }
        ++m_pos;
        if (c == '{' || c == '[') {
          if (++depth > k_json_max_depth)
            return false;
        } else if (c == '}' || c == ']') {
          if (--depth == 0)
            return true;
        }
      }
      return false;
    }
    const auto start = m_pos;
    while (m_pos < m_end && std::string_view(",}] \t\r\n").find(peek()) == std::string_view::npos)
      ++m_pos;
    return m_pos > start && m_pos < m_end; // a scalar cut off by the limit is not known
  }

private:
  const char* m_text;
  std::size_t m_end;
  std::size_t m_pos = 0;
};

// The text of a string token, escapes undone; nullopt when it is not a valid JSON string.
std::optional<std::string> string_value(std::string_view token) {
  if (token.find('\\') == std::string_view::npos)
    return std::string(token.substr(1, token.size() - 2));
  boost::json::error_code ec;
  const auto value = boost::json::parse(token, ec);
  if (ec || !value.is_string())
    return std::nullopt;
  return std::string(value.get_string());
}

bool key_is(std::string_view token, std::string_view name) {
  if (token.find('\\') == std::string_view::npos)
    return token.substr(1, token.size() - 2) == name;
  const auto text = string_value(token);
  return text && *text == name;
}

} // namespace

void RecycleDocument::operator()(simdjson::dom::document* document) const noexcept {
  document_pool().give(document);
}

namespace {

std::optional<JsonDocument> parse_text(std::string_view text, bool padded, std::string& error) {
  auto& parser = thread_parser();
  if (parser.max_depth() != k_json_max_depth || parser.capacity() < text.size()) {
    if (const auto e = parser.allocate(std::max(text.size(), parser.capacity()), k_json_max_depth)) {
      error = simdjson::error_message(e);
      return std::nullopt;
    }
  }
  JsonDocument parsed{{document_pool().take().release(), {}}, {}};
  // Unless there is room after the text, it is copied into a padded buffer (simdjson reads a
  // little past the end), this thread's own, kept: a fresh one for every page would cost a
  // page fault every 4 KiB.
  if (!padded) {
    thread_local std::string copy;
    copy.reserve(text.size() + k_json_padding);
    copy.assign(text);
    text = copy;
  }
  auto e = parser.parse_into_document(*parsed.document, text.data(), text.size(), false)
               .get(parsed.root);
  if (e == simdjson::UTF8_ERROR || e == simdjson::STRING_ERROR) {
    // Remote text with a stray byte or half a surrogate pair: losing the page (and stalling
    // tail on it) would be worse than showing U+FFFD in that one place, as jq does.
    const auto repaired = repaired_json_text(text);
    if (repaired != text)
      e = parser.parse_into_document(*parsed.document, repaired.data(), repaired.size())
              .get(parsed.root);
  }
  if (e) {
    error = simdjson::error_message(e);
    return std::nullopt;
  }
  return parsed;
}

} // namespace

std::optional<JsonDocument> parse_json_in_place(const std::string& text, std::string& error) {
  static_assert(k_body_padding >= k_json_padding, "response bodies are parsed in place");
  return parse_text(text, text.capacity() - text.size() >= k_json_padding, error);
}

std::optional<JsonDocument> parse_json(std::string_view text, std::string& error) {
  return parse_text(text, false, error);
}

std::optional<JsonValue> find_pointer(JsonValue root, std::string_view pointer) {
  if (pointer.empty())
    return root;
  if (pointer.front() != '/')
    return std::nullopt;
  std::optional<JsonValue> value = root;
  std::string unescaped;
  std::size_t pos = 1;
  for (;;) {
    const auto end = pointer.find('/', pos);
    auto step = pointer.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (step.find('~') != std::string_view::npos) {
      if (!unescape_step(step, unescaped))
        return std::nullopt;
      step = unescaped;
    }
    value = child(*value, step);
    if (!value || end == std::string_view::npos)
      return value;
    pos = end + 1;
  }
}

std::optional<std::string> find_string_in_prefix(std::string_view text, std::string_view pointer,
                                                 std::size_t limit) {
  if (pointer.empty() || pointer.front() != '/')
    return std::nullopt;
  PrefixScanner scan(text, limit);
  std::string step;
  std::size_t pos = 1;
  for (;;) {
    // One step: the object here must have a member of that name.
    const auto end = pointer.find('/', pos);
    if (!unescape_step(pointer.substr(pos, end == std::string_view::npos ? end : end - pos), step))
      return std::nullopt;
    if (!scan.expect('{'))
      return std::nullopt;
    for (;;) {
      std::string_view key;
      scan.skip_space();
      if (!scan.string_token(key) || !scan.expect(':'))
        return std::nullopt; // also the end of the object: the member is not there
      if (key_is(key, step))
        break;
      if (!scan.skip_value() || !scan.expect(','))
        return std::nullopt;
    }
    if (end == std::string_view::npos) {
      std::string_view token;
      scan.skip_space();
      if (!scan.string_token(token))
        return std::nullopt;
      return string_value(token);
    }
    pos = end + 1;
  }
}

void append_compact_json(std::string& out, JsonValue value) {
  switch (value.type()) {
  case dom::element_type::OBJECT: {
    out += '{';
    bool first = true;
    for (const auto field : dom::object(value)) {
      if (!first)
        out += ',';
      first = false;
      append_string(out, field.key);
      out += ':';
      append_compact_json(out, field.value);
    }
    out += '}';
    return;
  }
  case dom::element_type::ARRAY: {
    out += '[';
    bool first = true;
    for (const auto item : dom::array(value)) {
      if (!first)
        out += ',';
      first = false;
      append_compact_json(out, item);
    }
    out += ']';
    return;
  }
  case dom::element_type::STRING:
    append_string(out, value.get_string().value_unsafe());
    return;
  case dom::element_type::INT64:
    append_number(out, value.get_int64().value_unsafe());
    return;
  case dom::element_type::UINT64:
    append_number(out, value.get_uint64().value_unsafe());
    return;
  case dom::element_type::DOUBLE:
    // Rare in audit records; Boost.JSON's own formatting keeps the text as it always was.
    out += boost::json::serialize(boost::json::value(value.get_double().value_unsafe()));
    return;
  case dom::element_type::BOOL:
    out += value.get_bool().value_unsafe() ? "true" : "false";
    return;
  case dom::element_type::NULL_VALUE:
    out += "null";
    return;
  }
}

std::string compact_json(JsonValue value) {
  std::string out;
  append_compact_json(out, value);
  return out;
}

} // namespace auditfetch
