#pragma once
// What a config profile contributes to a run, beneath flags and environment variables.
// Filled by src/config/; read by provider settings resolution and credential resolution.

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace auditfetch {

// A secret from a profile (environment variable, file or command), read only when no flag or
// environment variable supplies the credentials. `read` throws Error naming the profile's file,
// line and key, never the secret.
struct SecretSource {
  std::string description; // "command get-token (profile prod, /home/u/.config/auditfetch/config.toml:7)"
  std::function<std::string()> read;
};

struct ProfileLayer {
  std::string name; // empty: no profile is in use
  // Where each key was set, "FILE:LINE", for messages and `config show`.
  std::map<std::string, std::string> where;
  std::map<std::string, std::string> settings; // provider settings by flag name
  std::optional<std::string> base_url;
  std::optional<std::string> token_url;
  std::optional<SecretSource> token;
  std::optional<SecretSource> client_id;
  std::optional<SecretSource> client_secret;

  // "profile NAME (FILE:LINE)" for `key`.
  std::string source_of(const std::string& key) const {
    auto it = where.find(key);
    return "profile " + name + (it == where.end() ? std::string() : " (" + it->second + ")");
  }
};

} // namespace auditfetch
