#pragma once
// A provider definition bound to this run's settings (flags, environment, defaults).

#include "auditfetch/provider/spec.hpp"
#include "auditfetch/util/env.hpp"
#include "auditfetch/util/profile_layer.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace auditfetch {

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
// variables), a value outside the choices, a flag or profile key the provider does not have, or
// not exactly one setting of a one_of group.
ProviderContext resolve_context(const ProviderSpec& spec,
                                const std::map<std::string, std::string>& flag_settings,
                                const std::optional<std::string>& base_url_flag,
                                const EnvLookup& env, const ProfileLayer* profile = nullptr);

// The account settings of a context (settings marked "account"): what a checkpoint belongs to.
std::map<std::string, std::string> account_of(const ProviderContext& context);

} // namespace auditfetch
