// A service account's signed JWT exchanged for an access token (RFC 7523 section 2.1; Google's
// domain-wide delegation): the JSON key file a setting names gives the private key, the
// issuer and the token endpoint; the JWT says whom to act for (sub) and what for (scope). The
// private key and the assertion never appear in any output.
#include "auditfetch/auth/scheme.hpp"
#include "auditfetch/auth/signing.hpp"
#include "token_endpoint.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/text.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <sstream>

namespace auditfetch {
namespace {

namespace json = boost::json;

struct Settings {
  std::string key_file; // template naming the setting that holds the path
  std::vector<std::pair<std::string, std::string>> claims; // templates (sub, scope, ...)
  std::string prefix = "Bearer";
};

// What auditfetch needs from a service account's JSON key file.
struct KeyFile {
  std::string path;
  std::string client_email;
  std::string private_key;
  std::string private_key_id;
  std::string token_uri;
};

KeyFile read_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorKind::usage, fmt::format("key file '{}': cannot read it", path),
                "check the path and its permissions");
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const auto doc = json::parse(text.str(), ec);
  const auto* o = ec ? nullptr : doc.if_object();
  if (!o)
    throw Error(ErrorKind::usage, fmt::format("key file '{}': not a JSON object", path),
                "use the service account's JSON key file as downloaded");
  KeyFile key;
  key.path = path;
  const auto field = [&](const char* name, std::string& out, bool required) {
    const auto* v = o->if_contains(name);
    if (v && v->is_string()) {
      out = std::string(v->get_string());
      return;
    }
    if (required)
      throw Error(ErrorKind::usage, fmt::format("key file '{}': no \"{}\"", path, name),
                  "use the service account's JSON key file as downloaded");
  };
  field("client_email", key.client_email, true);
  field("private_key", key.private_key, true);
  field("token_uri", key.token_uri, true);
  field("private_key_id", key.private_key_id, false);
  return key;
}

class JwtBearerAuthorizer final : public Authorizer {
public:
  JwtBearerAuthorizer(const Settings& settings, const Vars& vars, HttpClient& http)
      : m_settings(settings), m_http(http) {
    m_key_path = expand_template(settings.key_file, vars, Encoding::none);
    for (const auto& [name, value] : settings.claims)
      m_claims.emplace_back(name, expand_template(value, vars, Encoding::none));
  }

  void authorize(HttpRequest& request) override {
    if (m_access_token.empty() || std::chrono::steady_clock::now() >= m_renew_at)
      fetch_token();
    request.set_header("Authorization", m_settings.prefix + " " + m_access_token);
  }

  bool renew() override {
    if (m_renewed)
      return false;
    m_renewed = true;
    fetch_token();
    return true;
  }

  std::vector<std::string> secrets() const override {
    return {m_key.private_key, m_assertion, m_access_token};
  }

private:
  void fetch_token() {
    if (m_key.private_key.empty())
      m_key = read_key_file(m_key_path);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    json::object header{{"alg", "RS256"}, {"typ", "JWT"}};
    if (!m_key.private_key_id.empty())
      header["kid"] = m_key.private_key_id;
    json::object claims{{"iss", m_key.client_email}, {"aud", m_key.token_uri}, {"iat", now},
                        {"exp", now + 3600}};
    for (const auto& [name, value] : m_claims)
      claims[name] = value;
    const auto input = jwt_signing_input(header, claims);
    m_assertion = input + "." +
                  base64url_encode(rs256_signature(m_key.private_key, input,
                                                   fmt::format("key file '{}'", m_key.path)));
    HttpRequest request;
    request.method = "POST";
    request.url = m_key.token_uri;
    origin_of(request.url, fmt::format("token_uri of key file '{}'", m_key.path));
    request.set_header("Accept", "application/json");
    request.set_header("Content-Type", "application/x-www-form-urlencoded");
    request.body = "grant_type=" + form_encode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                   "&assertion=" + form_encode(m_assertion);
    auto token = request_token(m_http, request, secrets(),
                               fmt::format("check that {} may act for the subject with this scope "
                                           "(domain-wide delegation), and the key file '{}'",
                                           m_key.client_email, m_key.path));
    m_access_token = std::move(token.access_token);
    m_renew_at = token.renew_at;
  }

  const Settings& m_settings;
  HttpClient& m_http;
  std::string m_key_path;
  std::vector<std::pair<std::string, std::string>> m_claims;
  KeyFile m_key;
  std::string m_assertion;
  std::string m_access_token;
  std::chrono::steady_clock::time_point m_renew_at{};
  bool m_renewed = false;
};

class JwtBearerScheme final : public AuthScheme {
public:
  explicit JwtBearerScheme(Settings settings) : m_settings(std::move(settings)) {
    m_needs.kind = CredentialNeeds::Kind::none;
    m_needs.settings = template_names(m_settings.key_file);
    for (const auto& [name, value] : m_settings.claims)
      for (auto& setting : template_names(value))
        m_needs.settings.push_back(std::move(setting));
  }

  const CredentialNeeds& needs() const override { return m_needs; }

  std::string describe() const override {
    std::string claims;
    for (const auto& [name, value] : m_settings.claims)
      claims += fmt::format(", {}={}", name, value);
    return fmt::format("a JWT signed with the service account key in {} (RS256{}), exchanged at "
                       "the key's token_uri, then {} TOKEN",
                       m_settings.key_file, claims, m_settings.prefix);
  }

  std::vector<Header> masked_headers(std::string_view) const override {
    return {{"Authorization", m_settings.prefix + " ****"}};
  }

  std::string token_exchange(const Credentials&, const Vars& vars) const override {
    return fmt::format("POST to the token_uri of the key file '{}' (the file is not read)",
                       expand_template(m_settings.key_file, vars, Encoding::none));
  }

  std::unique_ptr<Authorizer> authorizer(Credentials, const Vars& vars,
                                         HttpClient& http) const override {
    return std::make_unique<JwtBearerAuthorizer>(m_settings, vars, http);
  }

private:
  Settings m_settings;
  CredentialNeeds m_needs;
};

} // namespace

std::unique_ptr<AuthScheme> make_jwt_bearer_scheme(DefObject& config, const TemplateScope& scope) {
  Settings settings;
  settings.key_file = config.require("key_file").template_text(scope);
  if (auto claims = config.get("claims")) {
    DefObject c(*claims);
    for (auto& [name, value] : c.members()) {
      if (name == "iss" || name == "aud" || name == "iat" || name == "exp")
        value.fail(fmt::format("\"{}\" comes from the key file and the clock", name));
      settings.claims.emplace_back(name, value.template_text(scope));
    }
  }
  settings.prefix = config.string_or("prefix", "Bearer");
  return std::make_unique<JwtBearerScheme>(std::move(settings));
}

} // namespace auditfetch
