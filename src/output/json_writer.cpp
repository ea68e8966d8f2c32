#include "auditfetch/output/writer.hpp"

#include "auditfetch/util/text.hpp"
#include "auditfetch/util/utf8.hpp"
#include "output/writers.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>

namespace auditfetch {
namespace {

// The selected leaves as the nested objects they print as, in the order the selection named
// them: an object (actor, context) stands where its first selected leaf does.
struct Node {
  std::string_view name; // the key: the last segment of the field's dotted name
  Field field;
  std::vector<Node> children; // empty for a leaf
};

std::string_view key_of(Field field) {
  const auto name = field_name(field);
  return name.substr(name.rfind('.') + 1);
}

// The field's ancestors, outermost first, then the field itself.
std::vector<Field> path_of(Field leaf) {
  switch (leaf) {
  case Field::actor_type: return {Field::actor, leaf};
  case Field::actor_user_id: return {Field::actor, Field::actor_user, leaf};
  case Field::context_ip_address:
  case Field::context_user_agent:
  case Field::context_authentication_method: return {Field::context, leaf};
  default: return {leaf};
  }
}

std::vector<Node> layout_of(const std::vector<Field>& selection, bool with_source) {
  std::vector<Node> top;
  for (const Field leaf : selected_leaves(selection, with_source)) {
    auto* level = &top;
    for (const Field step : path_of(leaf)) {
      auto it = std::find_if(level->begin(), level->end(), [&](const Node& n) { return n.field == step; });
      if (it == level->end()) {
        level->push_back({key_of(step), step, {}});
        it = level->end() - 1;
      }
      level = &it->children;
    }
  }
  return top;
}

constexpr char k_hex[] = "0123456789abcdef";

void append_u_escape(std::string& out, char32_t cp) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4)
    out += k_hex[(cp >> shift) & 0xF];
}

void append_ascii_escape(std::string& out, char c) {
  switch (c) {
  case '"': out += "\\\""; return;
  case '\\': out += "\\\\"; return;
  case '\b': out += "\\b"; return;
  case '\f': out += "\\f"; return;
  case '\n': out += "\\n"; return;
  case '\r': out += "\\r"; return;
  case '\t': out += "\\t"; return;
  default: append_u_escape(out, static_cast<unsigned char>(c));
  }
}

// DEL, C1 controls and U+2028/U+2029 are legal in JSON but escaped anyway: they upset
// terminals that display the output and JavaScript that embeds it.
bool needs_u_escape(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

// Length of a DEL, C1 control or U+2028/U+2029 sequence at text[i], or 0.
std::size_t raw_control_length(std::string_view text, std::size_t i) {
  const auto at = [&](std::size_t k) {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0u;
  };
  if (at(0) == 0x7F)
    return 1;
  if (at(0) == 0xC2 && at(1) >= 0x80 && at(1) <= 0x9F)
    return 2;
  if (at(0) == 0xE2 && at(1) == 0x80 && (at(2) == 0xA8 || at(2) == 0xA9))
    return 3;
  return 0;
}

// The original record as compact JSON leaves DEL, C1 controls and U+2028/U+2029 raw, which is
// valid JSON; escape them in out[from...] like the unified fields. The text is valid UTF-8
// and these bytes occur only inside strings, so a byte-level rewrite is exact.
void escape_raw_controls(std::string& out, std::size_t from) {
  std::size_t i = find_del_or_high(out, from);
  while (i < out.size() && raw_control_length(out, i) == 0)
    i = find_del_or_high(out, i + 1);
  if (i == out.size())
    return; // the usual case: nothing to rewrite
  const std::string rest(out, i);
  out.resize(i);
  for (std::size_t k = 0; k < rest.size();) {
    if (const auto length = raw_control_length(rest, k)) {
      append_u_escape(out, utf8::decode(rest, k).value);
      k += length;
    } else {
      out += rest[k++];
    }
  }
}

// Plain runs are copied in one append; only escapes and bad bytes break a run.
// The text of a JSON string, without its quotes.
void append_json_text(std::string& out, std::string_view text) {
  std::size_t run_start = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    // Up to the first byte that is not printable ASCII other than '"' and '\\'.
    pos = std::min(find_json_escape(text, pos), find_del_or_high(text, pos));
    if (pos == text.size())
      break;
    const auto c = static_cast<unsigned char>(text[pos]);
    const auto cp = c < 0x80 ? utf8::CodePoint{c, 1} : utf8::decode(text, pos);
    if (c >= 0x80 && cp.length != 0 && !needs_u_escape(cp.value)) {
      pos += cp.length;
      continue;
    }
    out.append(text, run_start, pos - run_start);
    if (cp.length == 0)
      out += utf8::k_replacement;
    else if (c < 0x7F)
      append_ascii_escape(out, static_cast<char>(c));
    else
      append_u_escape(out, cp.value);
    pos += cp.length == 0 ? 1 : cp.length;
    run_start = pos;
  }
  out.append(text, run_start, pos - run_start);
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  append_json_text(out, text);
  out += '"';
}

void put_digits(char* at, int value, int count) {
  for (int i = count - 1; i >= 0; --i, value /= 10)
    at[i] = static_cast<char>('0' + value % 10);
}

// Same text as format_rfc3339_ms, without its iostream (this runs once per record).
void append_time(std::string& out, Timestamp t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    out += '"' + format_rfc3339_ms(t) + '"';
    return;
  }
  const std::chrono::hh_mm_ss hms{t - day};
  char text[] = "\"0000-00-00T00:00:00.000Z\"";
  put_digits(text + 1, year, 4);
  put_digits(text + 6, static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
  put_digits(text + 9, static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
  put_digits(text + 12, static_cast<int>(hms.hours().count()), 2);
  put_digits(text + 15, static_cast<int>(hms.minutes().count()), 2);
  put_digits(text + 18, static_cast<int>(hms.seconds().count()), 2);
  put_digits(text + 21, static_cast<int>(hms.subseconds().count()), 3);
  out.append(text, sizeof text - 1);
}

// Writes the members of one object, placing the commas.
class Members {
public:
  explicit Members(std::string& out) : m_out(out) { m_out += '{'; }
  ~Members() { m_out += '}'; }
  Members(const Members&) = delete;
  Members& operator=(const Members&) = delete;

  std::string& key(std::string_view name) { return key(name, {}); }

  void string(std::string_view name, const std::optional<std::string>& value) {
    if (!value) {
      key(name, "null");
      return;
    }
    key(name, "\"");
    append_json_text(m_out, *value);
    m_out += '"';
  }

private:
  // ,"name": and what follows, in one append (this runs for every field of every record).
  std::string& key(std::string_view name, std::string_view then) {
    char text[64];
    if (name.size() + then.size() + 4 > sizeof text) {
      m_out += m_first ? "\"" : ",\"";
      m_out.append(name).append("\":").append(then);
      m_first = false;
      return m_out;
    }
    std::size_t n = 0;
    if (!m_first)
      text[n++] = ',';
    m_first = false;
    text[n++] = '"';
    std::memcpy(text + n, name.data(), name.size());
    n += name.size();
    text[n++] = '"';
    text[n++] = ':';
    if (!then.empty()) // memcpy from the null data() of an empty view is undefined
      std::memcpy(text + n, then.data(), then.size());
    n += then.size();
    m_out.append(text, n);
    return m_out;
  }

  std::string& m_out;
  bool m_first = true;
};

const std::optional<std::string>& string_member(const Activity& a, Field leaf) {
  switch (leaf) {
  case Field::id: return a.id;
  case Field::actor_type: return a.actor_type;
  case Field::actor_user_id: return a.actor_user_id;
  case Field::organization: return a.organization;
  case Field::group: return a.group;
  case Field::description: return a.description;
  case Field::action: return a.action;
  case Field::entity: return a.entity;
  case Field::entity_type: return a.entity_type;
  case Field::context_ip_address: return a.ip_address;
  case Field::context_user_agent: return a.user_agent;
  case Field::context_authentication_method: return a.authentication_method;
  case Field::source: return a.source;
  default: break;
  }
  static const std::optional<std::string> k_none;
  return k_none;
}

void append_leaf(Members& members, const Node& node, const Activity& a) {
  switch (node.field) {
  case Field::created_at: {
    auto& out = members.key(node.name);
    if (a.created_at)
      append_time(out, *a.created_at);
    else
      out += "null";
    return;
  }
  case Field::remote_data: {
    auto& out = members.key(node.name);
    if (a.remote_data) {
      const auto start = out.size();
      append_compact_json(out, *a.remote_data);
      escape_raw_controls(out, start);
    } else {
      out += "null";
    }
    return;
  }
  case Field::provider: {
    auto& out = members.key(node.name);
    if (!a.provider.empty())
      append_json_string(out, a.provider);
    else
      out += "null";
    return;
  }
  default: members.string(node.name, string_member(a, node.field));
  }
}

// actor, actor.user and context stay objects when their values are null, so that
// `jq .actor.user.id` reads null instead of failing on null.
void append_members(Members& members, const std::vector<Node>& nodes, const Activity& a) {
  for (const auto& node : nodes) {
    if (node.children.empty()) {
      append_leaf(members, node, a);
      continue;
    }
    Members inner(members.key(node.name));
    append_members(inner, node.children, a);
  }
}

void append_object(std::string& out, const Activity& a, const std::vector<Node>& layout) {
  Members members(out);
  append_members(members, layout, a);
}

enum class Layout { lines, array };

class JsonWriter final : public Writer {
public:
  JsonWriter(const WriterOptions& options, Sink& sink)
      : m_sink(sink), m_layout_nodes(layout_of(options.fields, options.source)),
        m_layout(options.format == Format::json && !options.single_object ? Layout::array
                                                                          : Layout::lines) {}

  void begin() override {
    if (m_layout == Layout::array && !m_begun)
      m_sink.write("[");
    m_begun = true;
  }

  void write(const Activity& activity) override {
    begin();
    m_buffer.clear();
    if (m_layout == Layout::array)
      m_buffer += m_count == 0 ? "\n" : ",\n";
    append_object(m_buffer, activity, m_layout_nodes);
    if (m_layout == Layout::lines)
      m_buffer += '\n';
    m_sink.write(m_buffer);
    ++m_count;
  }

  void end_page() override { m_sink.flush(); }

  // Also reached after an error, possibly before begin(): the array is closed either way.
  void finish() override {
    if (!m_finished && m_layout == Layout::array) {
      begin();
      m_sink.write(m_count == 0 ? "]\n" : "\n]\n");
    }
    m_finished = true;
    m_sink.flush();
  }

private:
  Sink& m_sink;
  std::vector<Node> m_layout_nodes;
  Layout m_layout;
  std::string m_buffer;
  std::size_t m_count = 0;
  bool m_begun = false;
  bool m_finished = false;
};

} // namespace

void append_activity_json(std::string& out, const Activity& activity,
                          const std::vector<Field>& selection) {
  append_object(out, activity, layout_of(selection, false));
}

std::unique_ptr<Writer> make_json_writer(const WriterOptions& options, Sink& sink) {
  return std::make_unique<JsonWriter>(options, sink);
}

} // namespace auditfetch
