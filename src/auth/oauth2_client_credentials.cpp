// OAuth2 client credentials (RFC 6749 section 4.4): the client id and secret are exchanged at
// the token endpoint for an access token, sent as "Authorization: Bearer" until it expires,
// and renewed once after a 401. Extra token-request fields (scope, audience) are templates.
#include "auditfetch/auth/scheme.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/json/document.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/sanitize.hpp"
#include "auditfetch/util/text.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <chrono>

namespace auditfetch {
namespace {

namespace json = boost::json;

// Renew this long before the announced expiry, so a token never dies mid-request.
constexpr std::chrono::seconds k_expiry_margin{30};

// RFC 6749 5.2.
const ErrorShape k_oauth2_errors{{"/error", "/error_description", "/message"}, {}, {}};

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
    require_secure_for_credentials(m_credentials.token_url);
    auto request = token_request();
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
      for (const auto& secret : secrets())
        body = redact_secret(std::move(body), secret);
      const auto detail = sanitize_for_terminal(
          truncate_text(error_body_message(body, k_oauth2_errors), 300));
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
  std::vector<std::string> ids, secrets;
  if (auto e = config.get("client_id_env"))
    ids = e->strings();
  if (auto e = config.get("client_secret_env"))
    secrets = e->strings();
  if (ids.size() != secrets.size())
    config.node().fail("client_id_env and client_secret_env name variables in pairs");
  for (std::size_t i = 0; i < ids.size(); ++i)
    needs.pair_env.emplace_back(ids[i], secrets[i]);
  return std::make_unique<ClientCredentialsScheme>(std::move(settings), std::move(needs));
}

} // namespace auditfetch
