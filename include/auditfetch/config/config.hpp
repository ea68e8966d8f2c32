#pragma once
// The config file ($XDG_CONFIG_HOME/auditfetch/config.toml): named profiles carrying a provider,
// its settings, a base URL, default output and filters, and where credentials come from.
// Parsing, choosing and applying a profile are pure (no process is started, no secret read
// until a SecretSource is called); running a credential command is in command.hpp.

#include "auditfetch/util/env.hpp"
#include "auditfetch/util/profile_layer.hpp"
#include "auditfetch/provider/context.hpp"
#include "auditfetch/provider/registry.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

// Where one credential comes from: { env = "VAR" }, { file = "path" } or
// { command = ["prog", "arg"], timeout = "10s" }; client-id may also be a plain string.
struct CredentialSpec {
  enum class Kind { literal, env, file, command } kind = Kind::env;
  std::string value;             // literal text, variable name, or file path (~ and relative resolved)
  std::vector<std::string> argv; // command
  std::chrono::milliseconds timeout{10000};
  std::string where; // "FILE:LINE"

  // "env PING_TOKEN", "file /home/u/.ping-token", "command get-token": never the secret.
  std::string describe() const;
};

// A value from a profile as text; lists (action, filter, param) have several, others one.
struct ProfileEntry {
  std::vector<std::string> values;
  std::string where; // "FILE:LINE"
};

struct Profile {
  std::string name;
  std::string where; // of the [profiles.NAME] header
  std::optional<std::string> provider;
  std::map<std::string, ProfileEntry> options;  // provider, base-url, output, since, ... by flag name
  std::map<std::string, ProfileEntry> settings; // provider settings by flag name
  std::map<std::string, CredentialSpec> credentials; // token, client-id, client-secret

  // "profile NAME (FILE:LINE)" for a key of this profile.
  std::string source_of(const std::string& key) const;
};

struct Config {
  std::string path;
  std::optional<std::string> default_profile;
  std::string default_profile_where;
  std::vector<Profile> profiles; // in name order

  const Profile* find(std::string_view name) const;
  std::vector<std::string> names() const;
};

// Parse config.toml. `path` names the file in messages and anchors relative paths; `env`
// gives HOME for "~/". Throws Error(usage) as "FILE:LINE:COLUMN: problem" for TOML syntax and
// "FILE:LINE: profiles.NAME.KEY: problem" for an unknown key, a wrong type or a bad value
// (unknown provider, a setting the provider does not have, a bad duration, time or format).
Config parse_config(std::string_view text, const std::string& path, const Registry& registry,
                    const EnvLookup& env);

struct ConfigLocation {
  std::string path;   // empty when there is neither XDG_CONFIG_HOME nor HOME
  std::string source; // "--config", "AUDITFETCH_CONFIG" or "default location"
  bool required = false; // named explicitly: a missing file is an error
};

// --config FILE, else AUDITFETCH_CONFIG, else $XDG_CONFIG_HOME/auditfetch/config.toml
// (or ~/.config/auditfetch/config.toml).
ConfigLocation locate_config(const std::optional<std::string>& flag, const EnvLookup& env);

using Warn = std::function<void(const std::string&)>;

// Read and parse the config; nullopt when the default file does not exist. Throws Error(usage)
// when an explicitly named file cannot be read. Warns once when group or others may read it.
std::optional<Config> load_config(const ConfigLocation& location, const Registry& registry,
                                  const EnvLookup& env, const Warn& warn);

// The warning for a secret-bearing file that group or others may read, if it is one.
std::optional<std::string> exposure_warning(const std::string& path, std::string_view what);

struct ProfileChoice {
  std::string name;   // empty: no profile
  std::string source; // "--profile", "AUDITFETCH_PROFILE", "default-profile (FILE:LINE)"
};

// --profile, else AUDITFETCH_PROFILE, else the file's default-profile. Throws Error(usage) for
// a profile the file does not have (listing those it has) or a profile named without a file.
ProfileChoice select_profile(const std::optional<Config>& config, const ConfigLocation& location,
                             const std::optional<std::string>& flag, const EnvLookup& env);

// How credential sources are read; injectable so that tests start no process.
struct SecretReaders {
  EnvLookup env;
  // Run spec.argv with spec.timeout and return its stdout; `what` names it in errors.
  std::function<std::string(const CredentialSpec& spec, const std::string& what)> run_command;
  Warn warn;
};

// Read one credential now (for SecretSource::read). Throws Error(usage) naming the profile,
// the key and FILE:LINE, never the secret.
std::string read_credential(const CredentialSpec& spec, const std::string& profile,
                            const std::string& key, const SecretReaders& readers);

} // namespace auditfetch
