// OAuth2 client credentials (RFC 6749 section 4.4): the client id and secret are exchanged at
// the token endpoint for an access token, sent as "Authorization: Bearer" until it expires,
// and renewed once after a 401. Extra token-request fields (scope, audience) are templates.
#include "auditfetch/auth/scheme.hpp"
#include "client_pair_env.hpp"
#include "token_endpoint.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/util/text.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <chrono>

namespace auditfetch {
namespace {

namespace json = boost::json;

enum class ClientAuth { basic, post };
enum class Body { form, json };

struct Settings {
  std::string token_url;
  ClientAuth client_auth = ClientAuth::basic;
  Body body = Body::form;
  std::vector<std::pair<std::string, std::string>> fields; // templates
  std::string prefix = "Bearer";
};

class ClientCredentialsAuthorizer final : public Authorizer {
public:
  ClientCredentialsAuthorizer(const Settings& settings, Credentials credentials, const Vars& vars,
                              HttpClient& http)
      : m_settings(settings), m_credentials(std::move(credentials)), m_http(http) {
    for (const auto& [name, value] : settings.fields)
      m_fields.emplace_back(name, expand_template(value, vars, Encoding::none));
  }

  void authorize(HttpRequest& request) override {
    if (m_access_token.empty() || std::chrono::steady_clock::now() >= m_expires_at)
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
    return {m_credentials.client_secret, form_encode(m_credentials.client_secret), m_basic,
            m_access_token};
  }

private:
  HttpRequest token_request() {
    HttpRequest request;
    request.method = "POST";
    request.url = m_credentials.token_url;
    request.set_header("Accept", "application/json");
    std::vector<std::pair<std::string, std::string>> fields = {{"grant_type", "client_credentials"}};
    if (m_settings.client_auth == ClientAuth::basic) {
      // RFC 6749 2.3.1: both parts form-encoded before Basic encoding.
      m_basic = base64_encode(form_encode(m_credentials.client_id) + ":" +
                              form_encode(m_credentials.client_secret));
      request.set_header("Authorization", "Basic " + m_basic);
    } else {
      fields.emplace_back("client_id", m_credentials.client_id);
      fields.emplace_back("client_secret", m_credentials.client_secret);
    }
    fields.insert(fields.end(), m_fields.begin(), m_fields.end());
    if (m_settings.body == Body::json) {
      json::object body;
      for (const auto& [name, value] : fields)
        body[name] = value;
      request.set_header("Content-Type", "application/json");
      request.body = json::serialize(body);
    } else {
      request.set_header("Content-Type", "application/x-www-form-urlencoded");
      for (const auto& [name, value] : fields)
        request.body += (request.body.empty() ? "" : "&") + form_encode(name) + "=" + form_encode(value);
    }
    return request;
  }

  void fetch_token() {
    auto token = request_token(m_http, token_request(), secrets(),
                               "check the client id and secret in " + m_credentials.source);
    m_access_token = std::move(token.access_token);
    m_expires_at = token.renew_at;
  }

  const Settings& m_settings;
  Credentials m_credentials;
  HttpClient& m_http;
  std::vector<std::pair<std::string, std::string>> m_fields;
  std::string m_basic;
  std::string m_access_token;
  std::chrono::steady_clock::time_point m_expires_at{};
  bool m_renewed = false;
};

class ClientCredentialsScheme final : public AuthScheme {
public:
  ClientCredentialsScheme(Settings settings, CredentialNeeds needs)
      : m_settings(std::move(settings)), m_needs(std::move(needs)) {}

  const CredentialNeeds& needs() const override { return m_needs; }
  std::string token_url_template() const override { return m_settings.token_url; }

  std::string describe() const override {
    std::string fields;
    for (const auto& [name, value] : m_settings.fields)
      fields += fmt::format(", {}={}", name, value);
    return fmt::format("OAuth2 client credentials at {} (client authentication: {}{}), then {} TOKEN",
                       m_settings.token_url,
                       m_settings.client_auth == ClientAuth::basic ? "HTTP Basic" : "form fields",
                       fields, m_settings.prefix);
  }

  std::vector<Header> masked_headers(std::string_view) const override {
    return {{"Authorization", m_settings.prefix + " ****"}};
  }

  std::string token_exchange(const Credentials& credentials, const Vars&) const override {
    return fmt::format("POST {} (token URL from {})", redact_url(credentials.token_url),
                       credentials.token_url_source);
  }

  std::unique_ptr<Authorizer> authorizer(Credentials credentials, const Vars& vars,
                                         HttpClient& http) const override {
    return std::make_unique<ClientCredentialsAuthorizer>(m_settings, std::move(credentials), vars,
                                                         http);
  }

private:
  Settings m_settings;
  CredentialNeeds m_needs;
};

} // namespace

std::unique_ptr<AuthScheme> make_oauth2_client_credentials_scheme(DefObject& config,
                                                                  const TemplateScope& scope) {
  Settings settings;
  settings.token_url = config.require("token_url").template_text(scope);
  if (auto a = config.get("client_auth"))
    settings.client_auth = a->one_of({"basic", "post"}) == "basic" ? ClientAuth::basic : ClientAuth::post;
  if (auto b = config.get("body"))
    settings.body = b->one_of({"form", "json"}) == "json" ? Body::json : Body::form;
  if (auto fields = config.get("fields")) {
    DefObject f(*fields);
    for (auto& [name, value] : f.members()) {
      if (name == "grant_type" || name == "client_id" || name == "client_secret")
        value.fail(fmt::format("\"{}\" is set by the scheme itself", name));
      settings.fields.emplace_back(name, value.template_text(scope));
    }
  }
  settings.prefix = config.string_or("prefix", "Bearer");
  CredentialNeeds needs;
  needs.kind = CredentialNeeds::Kind::client_pair;
  needs.token_url = true;
  read_client_pair_env(config, needs);
  return std::make_unique<ClientCredentialsScheme>(std::move(settings), std::move(needs));
}

} // namespace auditfetch
