#include "auditfetch/mapping/mapping.hpp"

#include "auditfetch/error.hpp"
#include "auditfetch/util/text.hpp"

#include <fmt/format.h>

#include <cctype>

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

// A scalar at the pointer as text: strings as they are, numbers and booleans printed;
// null and missing give nullopt.
std::optional<std::string> scalar_text(JsonValue record, std::string_view pointer) {
  const auto v = find_pointer(record, pointer);
  if (is_null_or_missing(v))
    return std::nullopt;
  switch (v->type()) {
  case element_type::STRING:
    return std::string(v->get_string().value_unsafe());
  case element_type::INT64:
    return std::to_string(v->get_int64().value_unsafe());
  case element_type::UINT64:
    return std::to_string(v->get_uint64().value_unsafe());
  case element_type::DOUBLE:
    return compact_json(*v);
  case element_type::BOOL:
    return v->get_bool().value_unsafe() ? "true" : "false";
  default:
    wrong_type(pointer, *v, "a string");
  }
}

// A stable id for records that have none: the SHA-256 of the values at the pointers,
// each serialised as compact JSON (absent as null), joined by '\n'; first 32 hex digits.
std::string content_hash(const std::vector<std::string>& pointers, JsonValue record) {
  std::string material;
  for (const auto& pointer : pointers) {
    if (const auto v = find_pointer(record, pointer))
      append_compact_json(material, *v);
    else
      material += "null";
    material += '\n';
  }
  return sha256_hex(material).substr(0, 32);
}

std::optional<std::string> fill_template(const std::string& text, JsonValue record) {
  std::string out;
  std::size_t pos = 0;
  for (auto open = text.find('{'); open != std::string::npos; open = text.find('{', pos)) {
    const auto close = text.find('}', open);
    out.append(text, pos, open - pos);
    auto value = scalar_text(record, std::string_view(text).substr(open + 1, close - open - 1));
    if (!value)
      return std::nullopt;
    out += *value;
    pos = close + 1;
  }
  out.append(text, pos);
  return out;
}

std::optional<std::string> evaluate(const ProviderContext& context, const ValueExpr& expr,
                                    JsonValue record) {
  for (const auto& source : expr) {
    if (source.if_present && is_null_or_missing(find_pointer(record, *source.if_present)))
      continue;
    std::optional<std::string> value;
    switch (source.kind) {
    case ValueSource::Kind::pointer:
      value = scalar_text(record, source.text);
      break;
    case ValueSource::Kind::setting:
      if (auto it = context.vars.find(source.text); it != context.vars.end())
        value = it->second;
      break;
    case ValueSource::Kind::constant:
      value = source.text;
      break;
    case ValueSource::Kind::hash:
      value = content_hash(source.pointers, record);
      break;
    case ValueSource::Kind::text_template:
      value = fill_template(source.text, record);
      break;
    }
    if (value)
      return value;
  }
  return std::nullopt;
}

std::optional<Timestamp> evaluate_time(const ProviderContext& context, const ValueExpr& expr,
                                       JsonValue record) {
  const auto text = evaluate(context, expr, record);
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

std::optional<std::string> actor_type(const ProviderSpec& spec, JsonValue record,
                                      const std::optional<std::string>& native_action) {
  for (const auto& rule : spec.mapping.actor_type) {
    if (rule.pointer) {
      auto value = scalar_text(record, *rule.pointer);
      if (value && is_actor_type(*value))
        return value;
      continue;
    }
    if (rule.present && is_null_or_missing(find_pointer(record, *rule.present)))
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
    return rule.type;
  }
  return std::nullopt;
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

bool where_holds(const ActionRule& rule, const JsonValue* record) {
  for (const auto& [pointer, expected] : rule.where) {
    if (!record)
      return false;
    const auto v = find_pointer(*record, pointer);
    if (!v || !v->is_string() || v->get_string().value_unsafe() != expected)
      return false;
  }
  return true;
}

std::optional<std::string> lookup_action(const ProviderSpec& spec, std::string_view key,
                                         const JsonValue* record) {
  if (spec.actions_unified && is_unified_action(key))
    return std::string(key);
  for (const auto& rule : spec.actions)
    if (glob_match(rule.pattern, key, spec.actions_case_insensitive) && where_holds(rule, record))
      return rule.unified;
  return std::nullopt;
}

} // namespace

std::optional<std::string> unified_action(const ProviderSpec& spec, std::string_view native) {
  return lookup_action(spec, native, nullptr);
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

Activity map_record(const ProviderContext& context, JsonValue record, const MapOptions& options) {
  const auto& spec = *context.spec;
  const auto& m = spec.mapping;
  if (!record.is_object())
    throw Error(ErrorKind::remote, "a record is not a JSON object");
  Activity a;
  a.provider = spec.name;
  a.id = evaluate(context, m.id, record);
  a.created_at = evaluate_time(context, m.created_at, record);
  // Without its time an activity can be neither filtered by time nor checkpointed: the
  // time filter would drop it silently, so it is an invalid response instead.
  if (!a.created_at)
    throw Error(ErrorKind::remote,
                fmt::format("field \"{}\": missing; every activity needs a time",
                            m.created_at.empty() ? "" : m.created_at.front().text));
  a.native_action = evaluate(context, m.native_action, record);
  const auto key = m.action_key.empty() ? a.native_action : evaluate(context, m.action_key, record);
  if (key)
    a.action = lookup_action(spec, *key, &record);
  if (!a.action)
    a.action = a.native_action;
  a.actor_user_id = evaluate(context, m.actor_user_id, record);
  a.actor_type = actor_type(spec, record, a.native_action);
  a.organization = evaluate(context, m.organization, record);
  a.group = evaluate(context, m.group, record);
  a.description = evaluate(context, m.description, record);
  a.entity = evaluate(context, m.entity, record);
  a.entity_type = evaluate(context, m.entity_type, record);
  a.ip_address = evaluate(context, m.ip_address, record);
  a.user_agent = evaluate(context, m.user_agent, record);
  a.authentication_method = evaluate(context, m.authentication_method, record);
  if (options.remote_data) {
    const auto remote = m.remote_data ? find_pointer(record, *m.remote_data) : record;
    if (!is_null_or_missing(remote))
      a.remote_data = *remote;
  }
  return a;
}

} // namespace auditfetch
