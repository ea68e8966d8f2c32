#include "auditfetch/mapping/mapping.hpp"

#include "auditfetch/provider/actions.hpp"
#include "auditfetch/time/format.hpp"
#include "auditfetch/util/error.hpp"
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

// What if_present does not count as present: nothing, null, or an empty string (Duo's
// administrator log writes "" for an object it has none of).
bool is_absent(const std::optional<JsonValue>& v) {
  return is_null_or_missing(v) || (v->is_string() && v->get_string().value_unsafe().empty());
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
  // `item`: the element of the record's `each` array being mapped, reached by the pointers
  // under `item_prefix` ("/event/name").
  explicit Record(JsonValue value, const MappingItem* item = nullptr, std::string_view item_prefix = {})
      : m_value(value), m_item(item), m_item_prefix(item_prefix) {
    if (index(value))
      m_top = Range{0, m_used};
  }

  JsonValue value() const { return m_value; }
  const MappingItem* item() const { return m_item; }

  // As find_pointer(value(), pointer), or into the item under its prefix.
  std::optional<JsonValue> find(std::string_view pointer) const {
    if (m_item && pointer.substr(0, m_item_prefix.size()) == m_item_prefix &&
        (pointer.size() == m_item_prefix.size() || pointer[m_item_prefix.size()] == '/'))
      return find_pointer(m_item->value, pointer.substr(m_item_prefix.size()));
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
  const MappingItem* m_item;
  std::string_view m_item_prefix;
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
    const auto placeholder = std::string_view(text).substr(open + 1, close - open - 1);
    if (placeholder == "#" && record.item()) {
      out += std::to_string(record.item()->index);
    } else {
      // An empty value fills nothing: "Delete user: " would say less than the next alternative.
      if (!scalar_text(record, placeholder, value) || value->empty())
        return std::nullopt;
      out += *value;
    }
    pos = close + 1;
  }
  out.append(text, pos);
  return out;
}

// A source's value through its map: the value of the first pattern that matches; false when
// none does (the source is passed over).
bool apply_map(const ProviderSpec& spec, const ValueSource& source, std::optional<std::string>& out) {
  if (source.map.empty())
    return true;
  for (const auto& [pattern, value] : source.map)
    if (glob_match(pattern, *out, spec.actions_case_insensitive)) {
      set(out, value);
      return true;
    }
  return false;
}

bool conditions_hold(const ProviderSpec& spec, const ValueSource& source, const Record& record,
                     const std::optional<std::string>& native_action) {
  if (source.if_present && is_absent(record.find(*source.if_present)))
    return false;
  if (!source.if_native_action.empty()) {
    if (!native_action)
      return false;
    bool any = false;
    for (const auto& pattern : source.if_native_action)
      any = any || glob_match(pattern, *native_action, spec.actions_case_insensitive);
    if (!any)
      return false;
  }
  return true;
}

// The first source with a value (that `accept` takes), into `out`; out empty when none has one.
template <class Accept>
void evaluate(const ProviderContext& context, const ValueExpr& expr, const Record& record,
              const std::optional<std::string>& native_action, std::optional<std::string>& out,
              const Accept& accept, const ValueSource** chosen = nullptr) {
  const auto& spec = *context.spec;
  for (const auto& source : expr) {
    if (!conditions_hold(spec, source, record, native_action))
      continue;
    bool found = false;
    switch (source.kind) {
    case ValueSource::Kind::pointer:
      found = scalar_text(record, source.text, out);
      break;
    case ValueSource::Kind::setting:
      if (auto it = context.vars.find(source.text); it != context.vars.end()) {
        set(out, it->second);
        found = true;
      }
      break;
    case ValueSource::Kind::constant:
      set(out, source.text);
      found = true;
      break;
    case ValueSource::Kind::hash:
      set(out, content_hash(source.pointers, record));
      found = true;
      break;
    case ValueSource::Kind::text_template:
      if (auto text = fill_template(source.text, record)) {
        set(out, *text);
        found = true;
      }
      break;
    }
    if (found && apply_map(spec, source, out) && accept(*out)) {
      if (chosen)
        *chosen = &source;
      return;
    }
  }
  out.reset();
}

void evaluate(const ProviderContext& context, const ValueExpr& expr, const Record& record,
              const std::optional<std::string>& native_action, std::optional<std::string>& out) {
  evaluate(context, expr, record, native_action, out, [](const std::string&) { return true; });
}

std::optional<Timestamp> evaluate_time(const ProviderContext& context, const ValueExpr& expr,
                                       const Record& record) {
  thread_local std::optional<std::string> text;
  const ValueSource* chosen = nullptr;
  evaluate(context, expr, record, std::nullopt, text, [](const std::string&) { return true; }, &chosen);
  if (!text)
    return std::nullopt;
  static const TimeFormat* const k_default = find_time_format("rfc3339");
  const auto* format = chosen->time_format ? chosen->time_format : k_default;
  Timestamp t;
  if (!format->parse(*text, t)) {
    const auto& where = chosen->kind == ValueSource::Kind::pointer ? chosen->text : expr.front().text;
    throw Error(ErrorKind::remote,
                fmt::format("field \"{}\": '{}' is not {}", where, text->substr(0, 64),
                            chosen->time_format ? "a time in the definition's time_format" : "an RFC 3339 time"));
  }
  return t;
}

bool is_actor_type(std::string_view type) {
  return type == "user" || type == "system" || type == "anonymous";
}

} // namespace

namespace {

bool where_holds(const ActionRule& rule, const Record& record) {
  thread_local std::optional<std::string> text;
  for (const auto& [pointer, expected] : rule.where)
    if (!scalar_text(record, pointer, text) || *text != expected)
      return false;
  return true;
}

// The unified action for `key` (a view of it or of the table), or nullopt to keep the raw value.
std::optional<std::string_view> lookup_action(const ProviderSpec& spec, std::string_view key,
                                              const Record& record) {
  if (spec.actions_unified && is_unified_action(key))
    return key;
  for (const auto& rule : spec.actions)
    if (glob_match(rule.pattern, key, spec.actions_case_insensitive) && where_holds(rule, record))
      return rule.unified ? std::optional<std::string_view>(*rule.unified) : std::nullopt;
  return std::nullopt;
}

} // namespace

Activity map_record(const ProviderContext& context, JsonValue value, const MapOptions& options) {
  Activity a;
  map_record(context, value, options, a);
  return a;
}

void map_record(const ProviderContext& context, JsonValue value, const MapOptions& options,
                Activity& a, const MappingItem* item) {
  const auto& spec = *context.spec;
  const auto& m = spec.mapping;
  if (!value.is_object())
    throw Error(ErrorKind::remote, "a record is not a JSON object");
  const Record record(value, item, m.each ? std::string_view(m.each->prefix) : std::string_view());
  a.provider = spec.name;
  evaluate(context, m.id, record, std::nullopt, a.id);
  a.created_at = evaluate_time(context, m.created_at, record);
  // Without its time an activity can be neither filtered by time nor checkpointed: the
  // time filter would drop it silently, so it is an invalid response instead.
  if (!a.created_at)
    throw Error(ErrorKind::remote,
                fmt::format("field \"{}\": missing; every activity needs a time",
                            m.created_at.empty() ? "" : m.created_at.front().text));
  evaluate(context, m.native_action, record, std::nullopt, a.native_action);
  const auto& native = a.native_action;
  thread_local std::optional<std::string> action_key;
  if (!m.action_key.empty())
    evaluate(context, m.action_key, record, native, action_key);
  const auto& key = m.action_key.empty() ? native : action_key;
  const auto action = key ? lookup_action(spec, *key, record) : std::nullopt;
  if (action)
    set(a.action, *action);
  else if (native)
    set(a.action, *native);
  else
    set(a.action, k_unknown_action);
  evaluate(context, m.actor_user_id, record, native, a.actor_user_id);
  evaluate(context, m.actor_type, record, native, a.actor_type, is_actor_type);
  evaluate(context, m.organization, record, native, a.organization);
  evaluate(context, m.group, record, native, a.group);
  evaluate(context, m.description, record, native, a.description);
  evaluate(context, m.entity, record, native, a.entity);
  evaluate(context, m.entity_type, record, native, a.entity_type);
  evaluate(context, m.ip_address, record, native, a.ip_address);
  evaluate(context, m.user_agent, record, native, a.user_agent);
  evaluate(context, m.authentication_method, record, native, a.authentication_method);
  a.remote_data.reset();
  if (options.remote_data) {
    const auto remote = m.remote_data ? record.find(*m.remote_data) : value;
    if (!is_null_or_missing(remote))
      a.remote_data = *remote;
  }
}

std::optional<std::pair<Timestamp, std::string>> record_key(const ProviderContext& context,
                                                            JsonValue value) {
  if (!value.is_object())
    return std::nullopt;
  const Record record(value);
  std::optional<std::string> id;
  evaluate(context, context.spec->mapping.id, record, std::nullopt, id);
  if (!id)
    return std::nullopt;
  try {
    if (auto t = evaluate_time(context, context.spec->mapping.created_at, record))
      return std::make_pair(*t, std::move(*id));
  } catch (const Error&) {
  }
  return std::nullopt;
}

} // namespace auditfetch
