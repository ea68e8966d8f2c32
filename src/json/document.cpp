#include "auditfetch/json/document.hpp"

#include "auditfetch/util/text.hpp"

#include "auditfetch/util/utf8.hpp"

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
    // "[name=login_type]": the first element whose member `name` is that string (Google's
    // event parameters are a list of {name, value}).
    if (step.size() > 3 && step.front() == '[' && step.back() == ']') {
      const auto eq = step.find('=');
      if (eq == std::string_view::npos)
        return std::nullopt;
      const auto key = step.substr(1, eq - 1);
      const auto wanted = step.substr(eq + 1, step.size() - eq - 2);
      for (const auto item : dom::array(parent)) {
        if (!item.is_object())
          continue;
        const auto member = child(item, key);
        if (member && member->is_string() && member->get_string().value_unsafe() == wanted)
          return item;
      }
      return std::nullopt;
    }
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
  for (std::size_t i = find_json_escape(text, 0); i < text.size(); i = find_json_escape(text, i + 1)) {
    const char escape = k_escapes[static_cast<unsigned char>(text[i])];
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

namespace {

void collect_texts(JsonValue value, std::string_view pointer, std::vector<std::string>& out) {
  const auto star = pointer.find("/*");
  if (star != std::string_view::npos &&
      (star + 2 == pointer.size() || pointer[star + 2] == '/')) {
    const auto found = find_pointer(value, pointer.substr(0, star));
    if (!found || !found->is_array())
      return;
    const simdjson::dom::array items = found->get_array().value_unsafe();
    for (const auto item : items)
      collect_texts(item, pointer.substr(star + 2), out);
    return;
  }
  const auto found = find_pointer(value, pointer);
  if (!found)
    return;
  if (found->is_string()) {
    const auto text = found->get_string().value_unsafe();
    if (!text.empty())
      out.emplace_back(text);
  } else if (found->is_number()) {
    out.push_back(compact_json(*found));
  }
}

std::string joined_texts(JsonValue value, const std::vector<std::string>& pointers) {
  std::vector<std::string> texts;
  for (const auto& pointer : pointers)
    collect_texts(value, pointer, texts);
  std::string out;
  for (const auto& text : texts)
    if (out.find(text) == std::string::npos) // "E0000011: Invalid token" twice is once
      out += (out.empty() ? "" : ": ") + text;
  return out;
}

} // namespace

std::string error_body_message(std::string_view body, const ErrorShape& shape) {
  std::string error;
  if (auto parsed = parse_json(body, error)) {
    auto out = joined_texts(parsed->root, shape.message);
    std::string details;
    for (const auto& pointer : shape.detail_items) {
      const auto items = find_pointer(parsed->root, pointer);
      if (!items || !items->is_array())
        continue;
      const simdjson::dom::array array = items->get_array().value_unsafe();
      for (const auto item : array)
        if (auto one = joined_texts(item, shape.detail_fields); !one.empty())
          details += (details.empty() ? "" : "; ") + one;
    }
    if (!details.empty())
      out += out.empty() ? details : " (" + details + ")";
    if (!out.empty())
      return out;
  }
  std::string start = truncate_text(body, 120);
  for (auto& c : start)
    if (c == '\n' || c == '\r')
      c = ' ';
  return start;
}

} // namespace auditfetch
