#include "auditfetch/mapping/mapping.hpp"

#include "auditfetch/error.hpp"
#include "auditfetch/util/text.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace auditfetch {
namespace {

using simdjson::dom::element_type;

bool is_null_or_missing(const std::optional<JsonValue>& v) {
  return !v || v->is_null();
}

[[noreturn]] void wrong_type(std::string_view pointer, JsonValue value,
                             std::string_view expected) {
  const char* kind = value.is_object() ? "an object" : value.is_array() ? "an array" : "a value";
  throw Error(ErrorKind::remote,
              fmt::format("field \"{}\": expected {}, got {}", pointer, expected, kind));
}

// A record's members, read once, and those of the objects inside it the first time a pointer
// goes into them. Every mapped pointer starts with a member name, and finding it among an
// object's members (all of them: of duplicate names the last counts) was most of the cost of
// mapping a record, once per pointer and level.
class Record {
public:
  explicit Record(JsonValue value) : m_value(value) {
    if (index(value))
      m_top = Range{0, m_used};
  }

  JsonValue value() const { return m_value; }

  // As find_pointer(value(), pointer).
  std::optional<JsonValue> find(std::string_view pointer) const {
    if (!m_top || pointer.size() < 2 || pointer[0] != '/' ||
        pointer.find('~') != std::string_view::npos)
      return find_pointer(m_value, pointer);
    Range range = *m_top;
    std::size_t pos = 1;
    for (;;) {
      const auto end = pointer.find('/', pos);
      const auto name = pointer.substr(pos, end == std::string_view::npos ? end : end - pos);
      const Member* member = nullptr;
      for (auto i = range.first + range.count; i-- > range.first;)
        if (m_members[i].key == name) {
          member = &m_members[i];
          break;
        }
      if (!member)
        return std::nullopt;
      if (end == std::string_view::npos)
        return member->value;
      if (!member->value.is_object())
        return find_pointer(member->value, pointer.substr(end)); // arrays, and scalars on the way
      if (member->state == Member::State::unread) {
        const auto first = m_used;
        if (index(member->value)) {
          member->members = Range{first, m_used - first};
          member->state = Member::State::indexed;
        } else {
          member->state = Member::State::too_wide;
        }
      }
      if (member->state == Member::State::too_wide)
        return find_pointer(member->value, pointer.substr(end));
      range = member->members;
      pos = end + 1;
    }
  }

private:
  struct Range {
    std::size_t first = 0;
    std::size_t count = 0;
  };
  struct Member {
    enum class State { unread, indexed, too_wide };
    std::string_view key;
    JsonValue value;
    mutable State state = State::unread; // of its members, when an object
    mutable Range members;
  };

  // Append the object's members; false (and nothing appended) when they do not fit.
  bool index(JsonValue object) const {
    const auto start = m_used;
    for (const auto member : simdjson::dom::object(object)) {
      if (m_used == m_members.size()) {
        m_used = start;
        return false;
      }
      m_members[m_used++] = Member{member.key, member.value, Member::State::unread, {}};
    }
    return true;
  }

  JsonValue m_value;
  mutable std::array<Member, 96> m_members;
  mutable std::size_t m_used = 0;
  std::optional<Range> m_top;
};

// Set a field, reusing the storage it has from the record mapped into it before.
void set(std::optional<std::string>& field, std::string_view value) {
  if (field)
    field->assign(value);
  else
    field.emplace(value);
}

// The scalar at the pointer as text into `out`: strings as they are, numbers and booleans
// printed; false (out untouched) for null and missing.
bool scalar_text(const Record& record, std::string_view pointer, std::optional<std::string>& out) {
  const auto v = record.find(pointer);
  if (is_null_or_missing(v))
    return false;
  char number[24];
  switch (v->type()) {
  case element_type::STRING:
    set(out, v->get_string().value_unsafe());
    return true;
  case element_type::INT64:
    set(out, std::string_view(
                 number, std::to_chars(number, number + sizeof number, v->get_int64().value_unsafe()).ptr));
    return true;
  case element_type::UINT64:
    set(out, std::string_view(number, std::to_chars(number, number + sizeof number,
                                                    v->get_uint64().value_unsafe())
                                          .ptr));
    return true;
  case element_type::DOUBLE:
    set(out, compact_json(*v));
    return true;
  case element_type::BOOL:
    set(out, v->get_bool().value_unsafe() ? "true" : "false");
    return true;
  default:
    wrong_type(pointer, *v, "a string");
  }
}

// A stable id for records that have none: the SHA-256 of the values at the pointers,
// each serialised as compact JSON (absent as null), joined by '\n'; first 32 hex digits.
std::string content_hash(const std::vector<std::string>& pointers, const Record& record) {
  std::string material;
  for (const auto& pointer : pointers) {
    if (const auto v = record.find(pointer))
      append_compact_json(material, *v);
    else
      material += "null";
    material += '\n';
  }
  return sha256_hex(material).substr(0, 32);
}

std::optional<std::string> fill_template(const std::string& text, const Record& record) {
  std::string out;
  std::optional<std::string> value;
  std::size_t pos = 0;
  for (auto open = text.find('{'); open != std::string::npos; open = text.find('{', pos)) {
    const auto close = text.find('}', open);
    out.append(text, pos, open - pos);
    if (!scalar_text(record, std::string_view(text).substr(open + 1, close - open - 1), value))
      return std::nullopt;
    out += *value;
    pos = close + 1;
  }
  out.append(text, pos);
  return out;
}

// The first source with a value, into `out`; out empty when none has one.
void evaluate(const ProviderContext& context, const ValueExpr& expr, const Record& record,
              std::optional<std::string>& out) {
  for (const auto& source : expr) {
    if (source.if_present && is_null_or_missing(record.find(*source.if_present)))
      continue;
    switch (source.kind) {
    case ValueSource::Kind::pointer:
      if (scalar_text(record, source.text, out))
        return;
      break;
    case ValueSource::Kind::setting:
      if (auto it = context.vars.find(source.text); it != context.vars.end()) {
        set(out, it->second);
        return;
      }
      break;
    case ValueSource::Kind::constant:
      set(out, source.text);
      return;
    case ValueSource::Kind::hash:
      set(out, content_hash(source.pointers, record));
      return;
    case ValueSource::Kind::text_template:
      if (auto text = fill_template(source.text, record)) {
        set(out, *text);
        return;
      }
      break;
    }
  }
  out.reset();
}

std::optional<Timestamp> evaluate_time(const ProviderContext& context, const ValueExpr& expr,
                                       const Record& record) {
  thread_local std::optional<std::string> text;
  evaluate(context, expr, record, text);
  if (!text)
    return std::nullopt;
  Timestamp t;
  if (!try_parse_rfc3339(*text, t)) {
    const auto& where = expr.front().text;
    throw Error(ErrorKind::remote, fmt::format("field \"{}\": '{}' is not an RFC 3339 time",
                                               where, text->substr(0, 64)));
  }
  return t;
}

bool is_actor_type(std::string_view type) {
  return type == "user" || type == "system" || type == "anonymous";
}

void actor_type(const ProviderSpec& spec, const Record& record,
                const std::optional<std::string>& native_action, std::optional<std::string>& out) {
  for (const auto& rule : spec.mapping.actor_type) {
    if (rule.pointer) {
      if (scalar_text(record, *rule.pointer, out) && is_actor_type(*out))
        return;
      continue;
    }
    if (rule.present && is_null_or_missing(record.find(*rule.present)))
      continue;
    if (!rule.native_action_patterns.empty()) {
      if (!native_action)
        continue;
      bool any = false;
      for (const auto& pattern : rule.native_action_patterns)
        any = any || glob_match(pattern, *native_action, spec.actions_case_insensitive);
      if (!any)
        continue;
    }
    set(out, rule.type);
    return;
  }
  out.reset();
}

char fold(char c, bool case_insensitive) {
  return case_insensitive ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

} // namespace

bool glob_match(std::string_view pattern, std::string_view text, bool case_insensitive) {
  // Iterative matcher with single-star backtracking: linear for the patterns we use.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() &&
               fold(pattern[p], case_insensitive) == fold(text[t], case_insensitive)) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

namespace {

bool where_holds(const ActionRule& rule, const Record* record) {
  for (const auto& [pointer, expected] : rule.where) {
    if (!record)
      return false;
    const auto v = record->find(pointer);
    if (!v || !v->is_string() || v->get_string().value_unsafe() != expected)
      return false;
  }
  return true;
}

// The unified action for `key` (a view of it or of the table), or nullopt to keep the raw value.
std::optional<std::string_view> lookup_action(const ProviderSpec& spec, std::string_view key,
                                              const Record* record) {
  if (spec.actions_unified && is_unified_action(key))
    return key;
  for (const auto& rule : spec.actions)
    if (glob_match(rule.pattern, key, spec.actions_case_insensitive) && where_holds(rule, record))
      return rule.unified ? std::optional<std::string_view>(*rule.unified) : std::nullopt;
  return std::nullopt;
}

} // namespace

std::optional<std::string> unified_action(const ProviderSpec& spec, std::string_view native) {
  if (const auto action = lookup_action(spec, native, nullptr))
    return std::string(*action);
  return std::nullopt;
}

std::optional<std::vector<std::string>> native_actions_for(const ProviderSpec& spec,
                                                           std::string_view action) {
  if (spec.actions_unified)
    return std::vector<std::string>{std::string(action)};
  // The table is keyed by something other than the native action: no exact translation.
  if (!spec.mapping.action_key.empty())
    return std::nullopt;
  std::vector<std::string> values;
  for (const auto& rule : spec.actions) {
    if (rule.unified != action)
      continue;
    if (rule.pattern.find('*') != std::string::npos || !rule.where.empty() ||
        spec.actions_case_insensitive)
      return std::nullopt;
    // An earlier rule may claim this exact value for something else; then it is not ours.
    if (unified_action(spec, rule.pattern) == rule.unified)
      values.push_back(rule.pattern);
  }
  return values;
}

Activity map_record(const ProviderContext& context, JsonValue value, const MapOptions& options) {
  Activity a;
  map_record(context, value, options, a);
  return a;
}

void map_record(const ProviderContext& context, JsonValue value, const MapOptions& options,
                Activity& a) {
  const auto& spec = *context.spec;
  const auto& m = spec.mapping;
  if (!value.is_object())
    throw Error(ErrorKind::remote, "a record is not a JSON object");
  const Record record(value);
  a.provider = spec.name;
  evaluate(context, m.id, record, a.id);
  a.created_at = evaluate_time(context, m.created_at, record);
  // Without its time an activity can be neither filtered by time nor checkpointed: the
  // time filter would drop it silently, so it is an invalid response instead.
  if (!a.created_at)
    throw Error(ErrorKind::remote,
                fmt::format("field \"{}\": missing; every activity needs a time",
                            m.created_at.empty() ? "" : m.created_at.front().text));
  evaluate(context, m.native_action, record, a.native_action);
  thread_local std::optional<std::string> action_key;
  if (!m.action_key.empty())
    evaluate(context, m.action_key, record, action_key);
  const auto& key = m.action_key.empty() ? a.native_action : action_key;
  const auto action = key ? lookup_action(spec, *key, &record) : std::nullopt;
  if (action)
    set(a.action, *action);
  else if (a.native_action)
    set(a.action, *a.native_action);
  else
    a.action.reset();
  evaluate(context, m.actor_user_id, record, a.actor_user_id);
  actor_type(spec, record, a.native_action, a.actor_type);
  evaluate(context, m.organization, record, a.organization);
  evaluate(context, m.group, record, a.group);
  evaluate(context, m.description, record, a.description);
  evaluate(context, m.entity, record, a.entity);
  evaluate(context, m.entity_type, record, a.entity_type);
  evaluate(context, m.ip_address, record, a.ip_address);
  evaluate(context, m.user_agent, record, a.user_agent);
  evaluate(context, m.authentication_method, record, a.authentication_method);
  a.remote_data.reset();
  if (options.remote_data) {
    const auto remote = m.remote_data ? record.find(*m.remote_data) : value;
    if (!is_null_or_missing(remote))
      a.remote_data = *remote;
  }
}

} // namespace auditfetch
