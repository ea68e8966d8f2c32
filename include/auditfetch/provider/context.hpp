#pragma once
// A provider definition bound to this run's settings (flags, environment, defaults).

#include "auditfetch/provider/spec.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace auditfetch {

// Looks up an environment variable; injected so that tests need no real environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The process environment (empty values count as unset).
EnvLookup process_environment();

// Return the first of `names` that is set, with its value.
std::optional<std::pair<std::string, std::string>> first_env(const std::vector<std::string>& names,
                                                             const EnvLookup& env);

struct ProviderContext {
  const ProviderSpec* spec = nullptr;
  // Settings and the variables their choices define ({tld}), for URL templates.
  std::map<std::string, std::string> vars;
  std::string base_url; // without trailing slash
  std::string base_url_source; // "--base-url", "AUDITFETCH_BASE_URL" or "definition"
};

// Resolve settings: flag, then the setting's environment variables, then its default.
// Throws Error(usage) for a missing required setting (naming the flag and variables), a value
// outside the choices, or a flag given that the provider does not have.
ProviderContext resolve_context(const ProviderSpec& spec,
                                const std::map<std::string, std::string>& flag_settings,
                                const std::optional<std::string>& base_url_flag,
                                const EnvLookup& env);

// Replace each {name} with vars[name]; path_segments percent-encodes values (for paths).
// Throws Error(usage) for an unknown variable.
enum class Encoding { none, path_segment };
std::string expand_template(std::string_view text, const std::map<std::string, std::string>& vars,
                            Encoding encoding);

} // namespace auditfetch
