#include "auditfetch/auth/auth.hpp"

#include "auditfetch/error.hpp"
#include "auditfetch/http/url.hpp"
#include "auditfetch/output/sanitize.hpp"
#include "auditfetch/provider/api.hpp"
#include "auditfetch/util/text.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <sstream>

namespace auditfetch {
namespace json = boost::json;
namespace {

// Renew this long before the announced expiry, so a token never dies mid-request.
constexpr std::chrono::seconds k_expiry_margin{30};

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

void set_token_url(Credentials& c, const ProviderContext& context, const CredentialFlags& flags,
                   const EnvLookup& env) {
  const auto& cc = *context.spec->auth.client_credentials;
  if (flags.token_url) {
    c.token_url = *flags.token_url;
    c.token_url_source = "--token-url";
  } else if (auto url = env("AUDITFETCH_TOKEN_URL")) {
    c.token_url = *url;
    c.token_url_source = "AUDITFETCH_TOKEN_URL";
  } else if (flags.profile && flags.profile->token_url) {
    c.token_url = *flags.profile->token_url;
    c.token_url_source = "token-url in " + flags.profile->source_of("token-url");
  } else {
    c.token_url = expand_template(cc.token_url, context.vars, Encoding::path_segment);
    c.token_url_source = "definition";
  }
  origin_of(c.token_url, c.token_url_source);
}

std::optional<Credentials> client_credentials(const ProviderContext& context,
                                              const CredentialFlags& flags, const EnvLookup& env) {
  const auto& spec = *context.spec;
  const auto* cc = spec.auth.client_credentials ? &*spec.auth.client_credentials : nullptr;
  std::vector<std::pair<std::string, std::string>> pairs = {
      {"AUDITFETCH_CLIENT_ID", "AUDITFETCH_CLIENT_SECRET"}};
  if (cc)
    for (std::size_t i = 0; i < cc->client_id_env.size() && i < cc->client_secret_env.size(); ++i)
      pairs.emplace_back(cc->client_id_env[i], cc->client_secret_env[i]);
  for (const auto& [id_var, secret_var] : pairs) {
    auto id = env(id_var);
    auto secret = env(secret_var);
    if (!id && !secret)
      continue;
    if (!id || !secret)
      throw Error(ErrorKind::usage,
                  fmt::format("{}: {} is set but {} is not", spec.name, id ? id_var : secret_var,
                              id ? secret_var : id_var),
                  "OAuth2 client credentials need both the client id and the secret");
    if (!cc)
      throw Error(ErrorKind::usage,
                  fmt::format("{}: {} is set, but {} does not use OAuth2 client credentials",
                              spec.name, id_var, spec.name),
                  credential_help(spec));
    Credentials c;
    c.kind = Credentials::Kind::client_credentials;
    c.client_id = *id;
    c.client_secret = *secret;
    c.client_auth = cc->client_auth;
    c.source = id_var + "/" + secret_var;
    set_token_url(c, context, flags, env);
    return c;
  }
  return std::nullopt;
}

// The profile's credentials: its token, else its client id and secret; read only if `read`.
std::optional<Credentials> profile_credentials(const ProviderContext& context,
                                               const CredentialFlags& flags, const EnvLookup& env,
                                               bool read) {
  const auto* profile = flags.profile;
  if (!profile)
    return std::nullopt;
  const auto& spec = *context.spec;
  Credentials c;
  if (profile->token) {
    c.source = profile->token->description;
    if (read)
      c.token = trim(profile->token->read());
    return c;
  }
  if (!profile->client_id || !profile->client_secret)
    return std::nullopt;
  if (!spec.auth.client_credentials)
    throw Error(ErrorKind::usage,
                fmt::format("{}: profile {} sets client-id and client-secret, but {} does not use "
                            "OAuth2 client credentials",
                            spec.name, profile->name, spec.name),
                "give the profile a token source instead");
  c.kind = Credentials::Kind::client_credentials;
  c.client_auth = spec.auth.client_credentials->client_auth;
  c.source = profile->client_id->description + " and " + profile->client_secret->description;
  set_token_url(c, context, flags, env);
  if (read) {
    c.client_id = trim(profile->client_id->read());
    c.client_secret = trim(profile->client_secret->read());
  }
  return c;
}

Credentials choose_credentials(const ProviderContext& context, const CredentialFlags& flags,
                               const EnvLookup& env, bool read) {
  const auto& spec = *context.spec;
  if (flags.token_file) {
    Credentials c;
    if (read)
      c.token = read_secret_file(*flags.token_file, "--token-file");
    c.source = "--token-file " + *flags.token_file;
    return c;
  }
  std::vector<std::string> bearer_vars = {"AUDITFETCH_TOKEN"};
  bearer_vars.insert(bearer_vars.end(), spec.auth.bearer_env.begin(), spec.auth.bearer_env.end());
  if (auto found = first_env(bearer_vars, env)) {
    Credentials c;
    if (read)
      c.token = trim(found->second);
    c.source = found->first;
    return c;
  }
  if (auto c = client_credentials(context, flags, env)) {
    if (!read)
      c->client_id = c->client_secret = "";
    return *c;
  }
  if (auto c = profile_credentials(context, flags, env, read))
    return *c;
  throw Error(ErrorKind::usage, fmt::format("{}: no credentials", spec.name), credential_help(spec));
}

} // namespace

std::string read_secret_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorKind::usage, fmt::format("{}: cannot read '{}'", what, path),
                "check the path and its permissions");
  std::ostringstream content;
  content << in.rdbuf();
  auto secret = trim(content.str());
  if (secret.empty())
    throw Error(ErrorKind::usage, fmt::format("{}: '{}' is empty", what, path));
  return secret;
}

std::string credential_help(const ProviderSpec& spec) {
  std::vector<std::string> ways = {"set AUDITFETCH_TOKEN", "pass --token-file FILE"};
  if (!spec.auth.bearer_env.empty())
    ways.push_back(fmt::format("set {}", fmt::join(spec.auth.bearer_env, " or ")));
  if (const auto& cc = spec.auth.client_credentials) {
    ways.push_back("set AUDITFETCH_CLIENT_ID and AUDITFETCH_CLIENT_SECRET");
    for (std::size_t i = 0; i < cc->client_id_env.size() && i < cc->client_secret_env.size(); ++i)
      ways.push_back(fmt::format("set {} and {}", cc->client_id_env[i], cc->client_secret_env[i]));
  }
  ways.push_back(spec.auth.client_credentials
                     ? "give a config profile a token or client-id and client-secret source"
                     : "give a config profile a token source");
  return fmt::format("{}", fmt::join(ways, ", or "));
}

Credentials resolve_credentials(const ProviderContext& context, const CredentialFlags& flags,
                                const EnvLookup& env) {
  return choose_credentials(context, flags, env, true);
}

Credentials describe_credentials(const ProviderContext& context, const CredentialFlags& flags,
                                 const EnvLookup& env) {
  return choose_credentials(context, flags, env, false);
}

Authenticator::Authenticator(const ProviderSpec& spec, Credentials credentials, HttpClient& http)
    : m_spec(spec), m_credentials(std::move(credentials)), m_http(http) {}

std::string Authenticator::authorization() {
  if (m_credentials.kind == Credentials::Kind::bearer)
    return "Bearer " + m_credentials.token;
  if (m_access_token.empty() || std::chrono::steady_clock::now() >= m_expires_at)
    fetch_token();
  return "Bearer " + m_access_token;
}

bool Authenticator::refresh_after_unauthorized() {
  if (m_credentials.kind == Credentials::Kind::bearer || m_refreshed_after_401)
    return false;
  m_refreshed_after_401 = true;
  fetch_token();
  return true;
}

Error Authenticator::refused(int status, const std::string& detail) const {
  const auto what = status == 403 ? "access refused (403)" : "authentication refused (401)";
  const auto message =
      fmt::format("{}{}{}", what, detail.empty() ? "" : ": ",
                  sanitize_for_terminal(truncate_text(detail, 300)));
  std::string hint;
  if (status == 403)
    hint = fmt::format("the credentials from {} work but may not read audit activity; check the "
                       "role or scopes granted to them",
                       m_credentials.source);
  else if (m_credentials.kind == Credentials::Kind::bearer)
    hint = fmt::format("the token from {} was refused; it may be expired: set a fresh one",
                       m_credentials.source);
  else
    hint = fmt::format("a fresh token from {} was refused too; check {}", m_credentials.token_url,
                       m_credentials.source);
  return Error(ErrorKind::auth, message, hint);
}

void Authenticator::fetch_token() {
  HttpRequest request;
  request.method = "POST";
  request.url = m_credentials.token_url;
  require_secure_for_credentials(request.url);
  request.set_header("Content-Type", "application/x-www-form-urlencoded");
  request.set_header("Accept", "application/json");
  request.body = "grant_type=client_credentials";
  if (m_credentials.client_auth == ClientAuth::basic) {
    // RFC 6749 2.3.1: both parts form-encoded before Basic encoding.
    request.set_header("Authorization",
                       "Basic " + base64_encode(form_encode(m_credentials.client_id) + ":" +
                                                form_encode(m_credentials.client_secret)));
  } else {
    request.body += "&client_id=" + form_encode(m_credentials.client_id) +
                    "&client_secret=" + form_encode(m_credentials.client_secret);
  }
  const auto where = fmt::format("token request to {}", redact_url(m_credentials.token_url));
  HttpResponse response;
  try {
    response = m_http.send(request);
  } catch (const Error& e) {
    throw e.with_context(where); // say it was the token request, not a page, that failed
  }
  if (response.status == 400 || response.status == 401 || response.status == 403) {
    // A token endpoint may quote what it was sent; the secret must not reach the terminal.
    std::string body = response.body;
    for (const auto& secret : {m_credentials.client_secret, form_encode(m_credentials.client_secret),
                               request.header("Authorization").value_or("Basic ").substr(6)})
      body = redact_secret(std::move(body), secret);
    const auto detail = sanitize_for_terminal(truncate_text(remote_error_message(body), 300));
    throw Error(ErrorKind::auth,
                fmt::format("{}: refused ({}){}{}", where, response.status,
                            detail.empty() ? "" : ": ", detail),
                fmt::format("check the client id and secret in {}", m_credentials.source));
  }
  if (response.status / 100 != 2)
    throw Error(ErrorKind::remote, fmt::format("{}: HTTP {}", where, response.status));
  boost::system::error_code ec;
  const auto doc = json::parse(response.body, ec);
  const auto* object = !ec ? doc.if_object() : nullptr;
  const auto* token = object ? object->if_contains("access_token") : nullptr;
  if (!token || !token->is_string() || token->get_string().empty())
    throw Error(ErrorKind::remote, fmt::format("{}: the response holds no access_token", where));
  m_access_token = std::string(token->get_string());
  std::chrono::seconds lifetime{3600};
  if (const auto* expires = object->if_contains("expires_in")) {
    if (expires->is_int64())
      lifetime = std::chrono::seconds{expires->get_int64()};
    else if (expires->is_uint64())
      lifetime = std::chrono::seconds{static_cast<long long>(expires->get_uint64())};
  }
  const auto usable = lifetime > 2 * k_expiry_margin ? lifetime - k_expiry_margin : lifetime / 2;
  m_expires_at = std::chrono::steady_clock::now() + usable;
}

} // namespace auditfetch
