#pragma once
// A provider definition (providers/<name>.json), loaded. Definitions are data; the paging
// styles, filter dialects, auth schemes and time formats they name are code in the engine,
// each behind its interface (paging/style.hpp, provider/dialect.hpp, auth/scheme.hpp,
// time/format.hpp).

#include "auditfetch/auth/scheme.hpp"
#include "auditfetch/http/client.hpp"
#include "auditfetch/json/document.hpp"
#include "auditfetch/paging/listing.hpp"
#include "auditfetch/paging/style.hpp"
#include "auditfetch/provider/dialect.hpp"
#include "auditfetch/time/format.hpp"

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
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

enum class Order { newest_first, oldest_first, unspecified };

// The order the API serves, and how to ask for the other one where it can sort.
struct OrderSpec {
  Order order = Order::unspecified; // without asking
  std::string param;                // empty: the order cannot be chosen
  std::map<Order, std::string> values;
  bool ask = false; // send param=values[order] with every first request (the default is undocumented)
};

struct PageSizeSpec {
  std::string param; // empty: the API has no page size parameter
  std::size_t default_size = 100;
  std::size_t max = 100;
};

// The time window as parameters of its own (Okta since/until, ThousandEyes startDate/endDate),
// and whether the API needs one.
struct WindowSpec {
  std::string since_param;
  std::string until_param;
  const TimeFormat* format = nullptr;
  bool until_inclusive = false; // the API includes its upper bound
  bool required = false;        // both bounds always: without --since, the last default_since
  bool pair = false;            // one bound needs the other (Zendesk): since 1970, until now
  std::string default_since = "7d";
  bool since_by_default = false; // default_since applies without `required` (until left open)
};

// A query parameter of every request; its value is a template ({setting}). A parameter whose
// template names a setting that is not set is left out.
struct ParamSpec {
  std::string name;
  std::string value;
};

struct ListSpec {
  // Templates; the first whose settings are all set is used (GitHub: org or enterprise).
  std::vector<std::string> paths;
  std::string method = "GET";
  bool json_body = false; // parameters go in a JSON request body, not the query (1Password)
  std::string records_pointer; // JSON pointer to the records array; "" = the body
  OrderSpec order;
  PageSizeSpec page_size;
  std::unique_ptr<PagingStyle> paging;
  StopRules stop;
  // The API's next request is a resume point a later run may start from (Okta's polling
  // link): kept in the state file.
  bool resume = false;
  WindowSpec window;
  std::unique_ptr<FilterDialect> filter; // null: nothing is pushed down but the window
  std::string dialect;                   // the filter dialect's name ("scim"), "" for none
  std::vector<ParamSpec> params;
};

struct GetSpec {
  std::vector<std::string> paths; // templates with {id}; empty: the API has no such call
  std::string record_pointer;     // "" = the body
  std::string unsupported_reason;
  std::vector<ParamSpec> params;
};

// One source of a mapped value: a JSON pointer into the record, a setting, a constant, a
// digest of several values (records without an id) or a template of "{/json/pointer}"
// placeholders (nothing when one is missing). Conditions and a value map refine it.
struct ValueSource {
  enum class Kind { pointer, setting, constant, hash, text_template } kind = Kind::pointer;
  std::string text;
  std::vector<std::string> pointers;
  std::optional<std::string> if_present;      // used only when this pointer holds a value
  std::vector<std::string> if_native_action;  // used only when the native action matches one
  // Glob → value, first match wins; a value that matches none is passed over.
  std::vector<std::pair<std::string, std::string>> map;
  const TimeFormat* time_format = nullptr;    // created_at: how the record writes its time
};
// Alternatives; the first that yields a value wins.
using ValueExpr = std::vector<ValueSource>;

// A record that holds several activities: each element of the array at `pointer` is mapped on
// its own, its fields reached as "/AS/..." (prefix "/AS"), the record's as usual.
struct EachSpec {
  std::string pointer;
  std::string prefix;
};

struct MappingSpec {
  std::optional<EachSpec> each;
  ValueExpr id, created_at, native_action, actor_type, actor_user_id, organization, group,
      description, entity, entity_type, ip_address, user_agent, authentication_method;
  // What the action table is keyed by, when not the native action (SailPoint: the first
  // item's operation, else the type).
  ValueExpr action_key;
  std::optional<std::string> remote_data; // JSON pointer; absent: the whole record
};

struct ActionRule {
  std::string pattern;                // exact value, or a glob with '*'
  std::optional<std::string> unified; // nullopt: keep the raw value
  // Only when the value at each JSON pointer prints as this text.
  std::vector<std::pair<std::string, std::string>> where;
};

// What the command line needs of every provider at each start: the name and description
// (`providers`), the settings (each one a flag) and the one_of groups. The registry reads the
// rest of a built-in definition only when a command uses that provider.
struct ProviderSummary {
  std::string name;
  std::string description;
  std::vector<SettingSpec> settings;
  // Groups of settings of which exactly one must be set (GitHub: org or enterprise).
  std::vector<std::vector<std::string>> one_of;

  const SettingSpec* setting(const std::string& name) const;
};

struct ProviderSpec : ProviderSummary {
  std::string documentation;
  std::string origin;   // where the definition came from ("built-in" or a file path)
  std::string base_url; // template
  std::vector<std::pair<std::string, std::string>> headers; // static request headers (templates)
  std::vector<std::unique_ptr<AuthScheme>> auth; // alternatives, in order of precedence
  RateLimitSignals rate_limit;
  ErrorShape errors; // where an error body keeps its message
  ListSpec list;
  GetSpec get;
  MappingSpec mapping;
  std::vector<ActionRule> actions;
  bool actions_case_insensitive = false;
  bool actions_unified = false; // the API's values already are unified actions (Truto)
};

} // namespace auditfetch
