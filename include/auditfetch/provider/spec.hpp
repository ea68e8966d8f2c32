#pragma once
// A provider definition (providers/<name>.json), parsed. Definitions are data; the filter
// dialects and pagination styles they name are code in the engine.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace auditfetch {

struct SettingSpec {
  std::string name;             // flag name without dashes: "environment-id"
  std::vector<std::string> env; // environment variables, first set wins
  bool required = false;
  bool account = false; // identifies the account (checkpoints belong to it)
  std::optional<std::string> default_value;
  std::string help;
  // Allowed values, each with the variables it defines for URL templates ({tld}).
  std::map<std::string, std::map<std::string, std::string>> choices;
};

enum class ClientAuth { basic, post };

struct ClientCredentialsSpec {
  std::string token_url; // template
  std::vector<std::string> client_id_env;
  std::vector<std::string> client_secret_env;
  ClientAuth client_auth = ClientAuth::basic;
};

struct AuthSpec {
  std::vector<std::string> bearer_env; // provider's own static-token variables
  std::optional<ClientCredentialsSpec> client_credentials;
};

// How unified filters become the native query:
//   scim         one SCIM expression in `param` (PingOne)
//   sailpoint    one SailPoint `filters` expression in `param`
//   query_params each filter its own query parameter, named in `fields` (Truto, ThousandEyes)
//   none         nothing pushed down
enum class FilterDialect { scim, sailpoint, query_params, none };
//   hal_next  follow the absolute URL at `next_pointer`
//   cursor    send the body's `cursor_pointer` value back as `cursor_param`
//   offset    `offset_param` grows by the page size; a short page ends; past `max_offset`
//             continue by keyset (restart with since = the last timestamp seen)
enum class PaginationStyle { hal_next, cursor, offset };
enum class Order { newest_first, oldest_first, unspecified };

// Unified filters a dialect may push down.
enum class UnifiedFilter { since, until, action, actor_id, entity, entity_type };

enum class TimePrecision { milliseconds, seconds };

struct FilterSpec {
  FilterDialect dialect = FilterDialect::none;
  std::string param;      // query parameter carrying the expression (scim, sailpoint)
  std::string time_field; // native timestamp attribute (scim, sailpoint)
  TimePrecision time_precision = TimePrecision::milliseconds;
  bool time_range_required = false;
  std::optional<std::string> default_since; // duration text, when a range is required
  // Unified filter name (since, until, action, actor_id, entity, entity_type) → native
  // attribute (expression dialects) or query parameter (query_params).
  std::map<std::string, std::string> fields;
};

struct PageSizeSpec {
  std::string param; // empty: the API has no page size parameter
  std::size_t default_size = 100;
  std::size_t max = 100;
};

struct PaginationSpec {
  PaginationStyle style = PaginationStyle::hal_next;
  std::string next_pointer;   // hal_next: JSON pointer to the next page's URL
  std::string cursor_pointer; // cursor: JSON pointer to the next cursor in the body
  std::string cursor_param;   // cursor: query parameter to send it in
  std::string offset_param;   // offset
  std::size_t max_offset = 0; // offset: 0 = no limit
};

// A query parameter of every request; its value is a template ({setting}). A parameter whose
// template names a setting that is not set is left out.
struct ParamSpec {
  std::string name;
  std::string value;
};

struct ListSpec {
  std::string path;
  std::string records_pointer; // JSON pointer to the records array; "" = the body
  Order order = Order::unspecified;
  PageSizeSpec page_size;
  PaginationSpec pagination;
  FilterSpec filter;
  std::vector<ParamSpec> params;
};

struct GetSpec {
  std::optional<std::string> path; // template with {id}; nullopt: the API has no such call
  std::string record_pointer;      // "" = the body
  std::string unsupported_reason;
  std::vector<ParamSpec> params;
};

// One source of a mapped value: a JSON pointer into the record, a setting, or a constant.
// `hash` digests the values at `pointers` (for records without an id); `text_template`
// fills "{/json/pointer}" placeholders and yields nothing when one of them is missing.
struct ValueSource {
  enum class Kind { pointer, setting, constant, hash, text_template } kind = Kind::pointer;
  std::string text;
  std::vector<std::string> pointers;
  std::optional<std::string> if_present; // used only when this pointer holds a value
};
// Alternatives; the first that yields a value wins.
using ValueExpr = std::vector<ValueSource>;

struct ActorTypeRule {
  std::optional<std::string> present; // JSON pointer that must exist and not be null
  std::vector<std::string> native_action_patterns;
  std::string type;                   // user | system | anonymous
  std::optional<std::string> pointer; // instead of `type`: the record's value, if valid
};

struct MappingSpec {
  ValueExpr id, created_at, native_action, actor_user_id, organization, group, description,
      entity, entity_type, ip_address, user_agent, authentication_method;
  // What the action table is keyed by, when not the native action (SailPoint: the first
  // item's operation, else the type).
  ValueExpr action_key;
  std::vector<ActorTypeRule> actor_type;
  std::optional<std::string> remote_data; // JSON pointer; absent: the whole record
};

struct ActionRule {
  std::string pattern;                // exact value, or a glob with '*'
  std::optional<std::string> unified; // nullopt: keep the raw value
  // Only when each JSON pointer holds this string.
  std::vector<std::pair<std::string, std::string>> where;
};

struct ProviderSpec {
  std::string name;
  std::string description;
  std::string documentation;
  std::string origin; // where the definition came from ("built-in" or a file path)
  std::string base_url; // template
  std::vector<SettingSpec> settings;
  AuthSpec auth;
  ListSpec list;
  GetSpec get;
  MappingSpec mapping;
  std::vector<ActionRule> actions;
  bool actions_case_insensitive = false;
  bool actions_unified = false; // the API's values already are unified actions (Truto)

  const SettingSpec* setting(const std::string& name) const;
};

} // namespace auditfetch
