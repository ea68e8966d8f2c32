#pragma once
// Where credentials come from, and turning them into an Authorization header.
// Secrets are never taken from argv and never appear in messages.

#include "auditfetch/error.hpp"
#include "auditfetch/http/client.hpp"
#include "auditfetch/provider/context.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace auditfetch {

struct Credentials {
  enum class Kind { bearer, client_credentials } kind = Kind::bearer;
  std::string token;         // bearer
  std::string client_id;     // client credentials
  std::string client_secret; // client credentials
  std::string token_url;     // client credentials
  ClientAuth client_auth = ClientAuth::basic;
  // Where they came from, for messages: "AUDITFETCH_TOKEN", "--token-file /path",
  // "PINGONE_CLIENT_ID/PINGONE_CLIENT_SECRET", "command get-token (profile prod, FILE:LINE)".
  std::string source;
  // Where token_url came from: "--token-url", "AUDITFETCH_TOKEN_URL", "token-url in profile
  // NAME (FILE:LINE)" or "definition".
  std::string token_url_source;
};

struct CredentialFlags {
  std::optional<std::string> token_file;
  std::optional<std::string> token_url;
  // The config profile in use, if any: its sources come after flags and the environment.
  const ProfileLayer* profile = nullptr;
};

// Resolve credentials, first found wins: --token-file, AUDITFETCH_TOKEN, the provider's
// bearer variables, client credentials (AUDITFETCH_CLIENT_ID/AUDITFETCH_CLIENT_SECRET or
// the provider's variables), then the profile's token, then the profile's client-id and
// client-secret. The token URL comes from --token-url, AUDITFETCH_TOKEN_URL, the profile or the
// definition. Throws Error(usage) naming what to set when there are none or half a pair.
Credentials resolve_credentials(const ProviderContext& context, const CredentialFlags& flags,
                                const EnvLookup& env);

// The same choice as resolve_credentials, without reading any secret (token, client_id and
// client_secret stay empty; no file is read and no command run): for `config show`.
Credentials describe_credentials(const ProviderContext& context, const CredentialFlags& flags,
                                 const EnvLookup& env);

// Read a secret from a file: whitespace trimmed; throws Error(usage) naming the file
// (never its content) when it is unreadable or empty.
std::string read_secret_file(const std::string& path, std::string_view what);

// Return a human-readable list of the variables that can hold credentials for a provider.
std::string credential_help(const ProviderSpec& spec);

class Authenticator {
public:
  Authenticator(const ProviderSpec& spec, Credentials credentials, HttpClient& http);

  // Return the Authorization header value, fetching or renewing an OAuth2 token as needed.
  // Throws Error(auth) when the token endpoint refuses the client, Error(remote) when it fails.
  std::string authorization();

  // Called after a 401: return true when a fresh token was obtained and the request is
  // worth repeating (once), false when the credentials are simply wrong.
  bool refresh_after_unauthorized();

  // Return the Error to raise for a refused request (401/403), naming what to check.
  Error refused(int status, const std::string& detail) const;

  const Credentials& credentials() const { return m_credentials; }

private:
  void fetch_token();

  const ProviderSpec& m_spec;
  Credentials m_credentials;
  HttpClient& m_http;
  std::string m_access_token;
  std::chrono::steady_clock::time_point m_expires_at{};
  bool m_refreshed_after_401 = false;
};

} // namespace auditfetch
