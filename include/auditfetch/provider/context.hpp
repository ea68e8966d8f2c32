#pragma once
// A provider definition bound to this run's settings (flags, environment, defaults).

#include "auditfetch/config/layer.hpp"
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
  std::string base_url_source; // "--base-url", "AUDITFETCH_BASE_URL", "profile NAME (FILE:LINE)" or "definition"
  // Where each setting's value came from: "--region", "PINGONE_REGION",
  // "profile NAME (FILE:LINE)" or "default".
  std::map<std::string, std::string> sources;
};

// Resolve settings: flag, then the setting's environment variables, then the config profile
// (if any), then its default; the base URL likewise (--base-url, AUDITFETCH_BASE_URL, profile,
// definition). Throws Error(usage) for a missing required setting (naming the flag and
// variables), a value outside the choices, or a flag or profile key the provider does not have.
ProviderContext resolve_context(const ProviderSpec& spec,
                                const std::map<std::string, std::string>& flag_settings,
                                const std::optional<std::string>& base_url_flag,
                                const EnvLookup& env, const ProfileLayer* profile = nullptr);

// Replace each {name} with vars[name]; path_segments percent-encodes values (for paths).
// Throws Error(usage) for an unknown variable.
enum class Encoding { none, path_segment };
std::string expand_template(std::string_view text, const std::map<std::string, std::string>& vars,
                            Encoding encoding);

} // namespace auditfetch
