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

enum class FilterDialect { scim };
enum class PaginationStyle { hal_next };
enum class Order { newest_first, oldest_first, unspecified };

// Unified filters a dialect may push down.
enum class UnifiedFilter { since, until, action, actor_id, entity, entity_type };

struct FilterSpec {
  FilterDialect dialect = FilterDialect::scim;
  std::string param;      // query parameter carrying the expression
  std::string time_field; // native timestamp attribute
  bool time_range_required = false;
  std::optional<std::string> default_since; // duration text, when a range is required
  std::map<std::string, std::string> fields; // unified filter name → native attribute
};

struct PageSizeSpec {
  std::string param;
  std::size_t default_size = 100;
  std::size_t max = 100;
};

struct PaginationSpec {
  PaginationStyle style = PaginationStyle::hal_next;
  std::string next_pointer; // JSON pointer to the next page's absolute URL
};

struct ListSpec {
  std::string path;
  std::string records_pointer; // JSON pointer to the records array; "" = the body
  Order order = Order::unspecified;
  PageSizeSpec page_size;
  PaginationSpec pagination;
  FilterSpec filter;
};

struct GetSpec {
  std::optional<std::string> path; // template with {id}; nullopt: the API has no such call
  std::string record_pointer;      // "" = the body
  std::string unsupported_reason;
};

// One source of a mapped value: a JSON pointer into the record, a setting, or a constant.
struct ValueSource {
  enum class Kind { pointer, setting, constant } kind = Kind::pointer;
  std::string text;
};
// Alternatives; the first that yields a value wins.
using ValueExpr = std::vector<ValueSource>;

struct ActorTypeRule {
  std::optional<std::string> present; // JSON pointer that must exist and not be null
  std::vector<std::string> native_action_patterns;
  std::string type; // user | system | anonymous
};

struct MappingSpec {
  ValueExpr id, created_at, native_action, actor_user_id, organization, group, description,
      entity, entity_type, ip_address, user_agent, authentication_method;
  std::vector<ActorTypeRule> actor_type;
};

struct ActionRule {
  std::string pattern;                // exact value, or a glob with '*'
  std::optional<std::string> unified; // nullopt: keep the raw value
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

  const SettingSpec* setting(const std::string& name) const;
};

} // namespace auditfetch
