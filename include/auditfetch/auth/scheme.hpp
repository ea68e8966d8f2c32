#pragma once
// Authentication schemes: how a definition's credentials become what a request carries (a
// header, or a signature over the request). One interface; each scheme is a file in
// src/auth/ registered in src/auth/schemes.cpp. Secrets never come from argv and never appear
// in messages.

#include "auditfetch/http/client.hpp"
#include "auditfetch/json/definition.hpp"
#include "auditfetch/util/env.hpp"
#include "auditfetch/util/profile_layer.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

// Template variables of a run: the provider's settings and what their choices define.
using Vars = std::map<std::string, std::string>;

// What a scheme reads: one secret (a token), or a pair (client id and secret), and whether it
// exchanges them at a token endpoint. Generic variables (AUDITFETCH_TOKEN, AUDITFETCH_CLIENT_ID
// and AUDITFETCH_CLIENT_SECRET, --token-file, a profile's token or client-id/client-secret)
// fill these slots; a scheme may add its own variable names.
struct CredentialNeeds {
  // none: the scheme reads what it needs from settings (a key file named by a setting).
  enum class Kind { token, client_pair, none } kind = Kind::token;
  std::vector<std::string> token_env;                          // kind token
  std::vector<std::pair<std::string, std::string>> pair_env;   // kind client_pair: (id, secret)
  bool token_url = false; // a token endpoint (template in the definition; --token-url replaces it)
  // Settings the scheme's own templates name (Basic's "{email}/token", a key file's path):
  // without them the scheme cannot be used.
  std::vector<std::string> settings;
};

struct Credentials {
  CredentialNeeds::Kind kind = CredentialNeeds::Kind::token;
  std::string token;
  std::string client_id;
  std::string client_secret;
  std::string token_url;
  // Where they came from, for messages: "AUDITFETCH_TOKEN", "--token-file /path",
  // "PINGONE_CLIENT_ID/PINGONE_CLIENT_SECRET", "command get-token (profile prod, FILE:LINE)".
  std::string source;
  // Where token_url came from: "--token-url", "AUDITFETCH_TOKEN_URL", "token-url in profile
  // NAME (FILE:LINE)" or "definition".
  std::string token_url_source;
};

// Adds credentials to the requests of one run.
class Authorizer {
public:
  virtual ~Authorizer() = default;
  // Add the credentials to `request` (fetching or renewing a token first where needed).
  // Throws Error(auth) when a token endpoint refuses the client, Error(remote) when it fails.
  virtual void authorize(HttpRequest& request) = 0;
  // Called after a 401: true when fresh credentials were obtained and the request is worth
  // repeating (once per run), false when the credentials are simply wrong.
  virtual bool renew() { return false; }
  // Every secret this run holds, in every form it is sent (for redacting echoes).
  virtual std::vector<std::string> secrets() const = 0;
};

class AuthScheme {
public:
  virtual ~AuthScheme() = default;
  virtual const CredentialNeeds& needs() const = 0;
  // One line for `providers NAME` and --explain: "SSWS token in Authorization".
  virtual std::string describe() const = 0;
  // The token endpoint template, for schemes with CredentialNeeds::token_url.
  virtual std::string token_url_template() const { return {}; }
  // The headers this scheme adds to a request, every secret in them shown as "****" (for
  // --explain: nothing is read, signed or requested). `date` is the Date header a scheme that
  // signs each request would send with it.
  virtual std::vector<Header> masked_headers(std::string_view date) const = 0;
  // Where a token would be obtained before the first request, named and never called:
  // "POST URL (source)"; empty for schemes that send their credentials as they are.
  virtual std::string token_exchange(const Credentials&, const Vars&) const { return {}; }
  // The authorizer for one run. `vars` fill the scheme's templates.
  virtual std::unique_ptr<Authorizer> authorizer(Credentials credentials, const Vars& vars,
                                                 HttpClient& http) const = 0;
};

// Read a definition's auth entry ({"scheme": NAME, ...}); unknown schemes and keys are
// definition problems.
std::unique_ptr<AuthScheme> make_auth_scheme(const DefNode& node, const TemplateScope& scope);

// The names of every scheme, for messages.
std::vector<std::string_view> auth_scheme_names();

struct CredentialFlags {
  std::optional<std::string> token_file; // "-" reads stdin
  std::optional<std::string> token_url;
  // The config profile in use, if any: its sources come after flags and the environment.
  const ProfileLayer* profile = nullptr;
};

struct ResolvedCredentials {
  std::size_t scheme = 0; // index into the definition's schemes
  Credentials credentials;
  // Generic variables (AUDITFETCH_TOKEN, ...) that are set but were passed over for the
  // profile's credentials.
  std::vector<std::string> passed_over;
};

// Choose the scheme and its credentials; first found wins: --token-file, AUDITFETCH_TOKEN and
// the schemes' token variables, client pairs (AUDITFETCH_CLIENT_ID/SECRET and the schemes'
// variables), then the profile's token, then its client-id and client-secret. When the
// profile gives credentials the provider can use, the generic AUDITFETCH_TOKEN and
// AUDITFETCH_CLIENT_ID/SECRET are passed over (named in `passed_over`): the profile's come
// right after the provider's own variables. Generic variables a provider cannot use are
// passed over. With `read` false no secret is read (no
// file, no command): for `config show` and --explain. Throws Error(usage) naming what to set
// when there are none, or half a pair.
ResolvedCredentials resolve_credentials(const std::string& provider,
                                        const std::vector<std::unique_ptr<AuthScheme>>& schemes,
                                        const CredentialFlags& flags, const Vars& vars,
                                        const EnvLookup& env, bool read = true);

// A human-readable list of the ways to give a provider credentials.
std::string credential_help(const std::vector<std::unique_ptr<AuthScheme>>& schemes);

// Read a secret from a file ("-": stdin): whitespace trimmed; throws Error(usage) naming the
// file (never its content) when it is unreadable or empty.
std::string read_secret_file(const std::string& path, std::string_view what);

} // namespace auditfetch
