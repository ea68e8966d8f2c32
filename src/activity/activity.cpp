#include "auditfetch/activity/activity.hpp"

#include "auditfetch/util/error.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace auditfetch {
namespace {

struct FieldInfo {
  Field field;
  std::string_view name;
  std::optional<Field> parent;
};

// Indexed by Field; the enum is declared in schema order.
constexpr std::array<FieldInfo, 19> k_field_infos{{
    {Field::id, "id", {}},
    {Field::actor, "actor", {}},
    {Field::actor_type, "actor.type", Field::actor},
    {Field::actor_user, "actor.user", Field::actor},
    {Field::actor_user_id, "actor.user.id", Field::actor_user},
    {Field::organization, "organization", {}},
    {Field::group, "group", {}},
    {Field::description, "description", {}},
    {Field::action, "action", {}},
    {Field::entity, "entity", {}},
    {Field::entity_type, "entity_type", {}},
    {Field::context, "context", {}},
    {Field::context_ip_address, "context.ip_address", Field::context},
    {Field::context_user_agent, "context.user_agent", Field::context},
    {Field::context_authentication_method, "context.authentication_method", Field::context},
    {Field::created_at, "created_at", {}},
    {Field::remote_data, "remote_data", {}},
    {Field::provider, "provider", {}},
    {Field::source, "source", {}},
}};

constexpr bool indexed_by_field() {
  for (std::size_t i = 0; i < k_field_infos.size(); ++i)
    if (static_cast<std::size_t>(k_field_infos[i].field) != i)
      return false;
  return true;
}
static_assert(indexed_by_field());

const FieldInfo& info(Field field) {
  return k_field_infos[static_cast<std::size_t>(field)];
}

bool is_parent(Field field) {
  return field == Field::actor || field == Field::actor_user || field == Field::context;
}

bool is_within(Field field, Field ancestor) {
  for (std::optional<Field> f = field; f; f = info(*f).parent)
    if (*f == ancestor)
      return true;
  return false;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos)
    return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string_view last_segment(std::string_view name) {
  return name.substr(name.rfind('.') + 1);
}

// Both the full name and its last segment count, so "ip_address" finds "context.ip_address".
std::optional<std::string_view> closest_name(std::string_view name) {
  std::optional<std::string_view> best;
  std::size_t best_distance = std::max<std::size_t>(1, name.size() / 3) + 1;
  for (const auto& field : k_field_infos) {
    const auto distance = std::min(edit_distance(name, field.name),
                                   edit_distance(name, last_segment(field.name)));
    if (distance < best_distance) {
      best = field.name;
      best_distance = distance;
    }
  }
  return best;
}

std::string valid_fields_text() {
  std::string text = "valid fields: ";
  for (const auto& field : k_field_infos) {
    if (field.field != Field::id)
      text += ", ";
    text += field.name;
  }
  return text;
}

Error unknown_field(std::string_view name) {
  std::string hint;
  if (const auto close = closest_name(name))
    hint = "did you mean '" + std::string(*close) + "'? ";
  return Error(ErrorKind::usage, "--fields: unknown field '" + std::string(name) + "'",
               hint + valid_fields_text());
}

Field field_named(std::string_view name) {
  if (name.empty())
    throw Error(ErrorKind::usage, "--fields: empty field name", valid_fields_text());
  for (const auto& field : k_field_infos)
    if (field.name == name)
      return field.field;
  throw unknown_field(name);
}

const std::optional<std::string>& string_member(const Activity& activity, Field leaf) {
  switch (leaf) {
  case Field::id: return activity.id;
  case Field::actor_type: return activity.actor_type;
  case Field::actor_user_id: return activity.actor_user_id;
  case Field::organization: return activity.organization;
  case Field::group: return activity.group;
  case Field::description: return activity.description;
  case Field::action: return activity.action;
  case Field::entity: return activity.entity;
  case Field::entity_type: return activity.entity_type;
  case Field::context_ip_address: return activity.ip_address;
  case Field::context_user_agent: return activity.user_agent;
  case Field::context_authentication_method: return activity.authentication_method;
  case Field::source: return activity.source;
  default: break;
  }
  static const std::optional<std::string> k_none;
  return k_none;
}

} // namespace

bool is_unified_action(std::string_view action) {
  return std::ranges::find(k_unified_actions, action) != std::end(k_unified_actions);
}

const std::vector<Field>& leaf_fields() {
  static const std::vector<Field> k_leaves = [] {
    std::vector<Field> leaves;
    for (const auto& field : k_field_infos)
      if (!is_parent(field.field))
        leaves.push_back(field.field);
    return leaves;
  }();
  return k_leaves;
}

const std::vector<Field>& default_leaves(bool with_source) {
  static const std::vector<Field> k_without = [] {
    auto leaves = leaf_fields();
    std::erase(leaves, Field::source);
    return leaves;
  }();
  return with_source ? leaf_fields() : k_without;
}

std::string_view field_name(Field field) {
  return info(field).name;
}

std::vector<Field> parse_fields(std::string_view list) {
  std::vector<Field> fields;
  while (true) {
    const auto comma = list.find(',');
    fields.push_back(field_named(trim(list.substr(0, comma))));
    if (comma == std::string_view::npos)
      return fields;
    list.remove_prefix(comma + 1);
  }
}

std::vector<Field> expand_leaves(const std::vector<Field>& selection) {
  std::vector<Field> leaves;
  for (const Field chosen : selection)
    for (const Field leaf : leaf_fields())
      if (is_within(leaf, chosen) && std::ranges::find(leaves, leaf) == leaves.end())
        leaves.push_back(leaf);
  return leaves;
}

std::optional<std::string> field_text(const Activity& activity, Field leaf) {
  switch (leaf) {
  case Field::created_at:
    if (!activity.created_at)
      return std::nullopt;
    return format_rfc3339_ms(*activity.created_at);
  case Field::remote_data:
    if (!activity.remote_data)
      return std::nullopt;
    return compact_json(*activity.remote_data);
  case Field::provider:
    // Mapping always sets it; an empty one means unknown, which prints as null.
    if (activity.provider.empty())
      return std::nullopt;
    return activity.provider;
  default:
    return string_member(activity, leaf);
  }
}

} // namespace auditfetch
