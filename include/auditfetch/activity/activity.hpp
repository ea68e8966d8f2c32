#pragma once
// The unified activity: Truto's unified Activity schema plus `provider` and `source`.

#include "auditfetch/json/document.hpp"
#include "auditfetch/time/time.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

struct Activity {
  std::optional<std::string> id;
  std::optional<std::string> actor_type; // user | system | anonymous
  std::optional<std::string> actor_user_id;
  std::optional<std::string> organization;
  std::optional<std::string> group;
  std::optional<std::string> description;
  std::optional<std::string> action; // unified value, or the raw provider value when none fits
  std::optional<std::string> entity;
  std::optional<std::string> entity_type;
  std::optional<std::string> ip_address;
  std::optional<std::string> user_agent;
  std::optional<std::string> authentication_method;
  std::optional<Timestamp> created_at;
  // The untouched provider record, printed as compact JSON (mapping/json.hpp) straight into
  // the output. Not owned: it lives in the page being written, which must outlive the
  // activity. nullopt prints as null (--no-remote-data).
  std::optional<JsonValue> remote_data;
  std::string provider;
  // The source the activity came from when a run reads named sources (list --profile A
  // --profile B, --source NAME=PROFILE); nullopt otherwise, which prints as null.
  std::optional<std::string> source;
  // The provider's own action value, for matching a native --action locally. Not printed.
  std::optional<std::string> native_action;
};

// The unified action values.
inline constexpr std::string_view k_unified_actions[] = {
    "login",        "login_failed", "logout", "user_invited", "user_created",
    "user_joined",  "user_deactivated", "user_deleted", "user_updated", "create",
    "destroy",      "exported",     "updated",      "unknown"};

// The action of a record that has no native action at all: never null, and selectable.
inline constexpr std::string_view k_unknown_action = "unknown";

bool is_unified_action(std::string_view action);

// A field of the unified schema, by its dotted name ("actor.user.id").
enum class Field {
  id,
  actor,
  actor_type,
  actor_user,
  actor_user_id,
  organization,
  group,
  description,
  action,
  entity,
  entity_type,
  context,
  context_ip_address,
  context_user_agent,
  context_authentication_method,
  created_at,
  remote_data,
  provider,
  source,
};

// Every leaf field, in schema order (what --fields accepts).
const std::vector<Field>& leaf_fields();
// The leaves printed when --fields is not given, in schema order: every leaf, `source` only
// when the run reads named sources, so that a single source prints what it always printed.
const std::vector<Field>& default_leaves(bool with_source);

// Return the dotted name of a field ("context.ip_address").
std::string_view field_name(Field field);

// Parse "a,b.c" into fields; throws Error(usage) naming the unknown field and listing valid ones.
// Parent names ("actor", "context") are accepted and select their whole subtree.
std::vector<Field> parse_fields(std::string_view list);

// Return the leaf fields a selection covers, in the order the selection names them (a parent's
// leaves in schema order where it stands), without duplicates: --fields keeps the user's order.
std::vector<Field> expand_leaves(const std::vector<Field>& selection);

// Return the text of a scalar leaf field, or nullopt when it is null.
// created_at renders as RFC 3339 UTC with milliseconds; remote_data as compact JSON.
std::optional<std::string> field_text(const Activity& activity, Field leaf);

} // namespace auditfetch
