// HTTP Basic (RFC 7617) with a templated user name and the token as the password: Zendesk's
// "{email}/token" and an API token.
#include "auditfetch/auth/scheme.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/util/text.hpp"

#include <fmt/format.h>

namespace auditfetch {
namespace {

class BasicAuthorizer final : public Authorizer {
public:
  BasicAuthorizer(std::string user, std::string password)
      : m_password(std::move(password)), m_encoded(base64_encode(user + ":" + m_password)) {}

  void authorize(HttpRequest& request) override {
    request.set_header("Authorization", "Basic " + m_encoded);
  }
  std::vector<std::string> secrets() const override { return {m_password, m_encoded}; }

private:
  std::string m_password;
  std::string m_encoded;
};

class BasicScheme final : public AuthScheme {
public:
  BasicScheme(std::string user, std::vector<std::string> env) : m_user(std::move(user)) {
    m_needs.kind = CredentialNeeds::Kind::token;
    m_needs.token_env = std::move(env);
    m_needs.settings = template_names(m_user);
  }

  const CredentialNeeds& needs() const override { return m_needs; }

  std::string describe() const override {
    return fmt::format("HTTP Basic, user {} and the token as the password", m_user);
  }

  std::vector<Header> masked_headers(std::string_view) const override {
    return {{"Authorization", "Basic ****"}};
  }

  std::unique_ptr<Authorizer> authorizer(Credentials credentials, const Vars& vars,
                                         HttpClient&) const override {
    return std::make_unique<BasicAuthorizer>(expand_template(m_user, vars, Encoding::none),
                                             std::move(credentials.token));
  }

private:
  std::string m_user;
  CredentialNeeds m_needs;
};

} // namespace

std::unique_ptr<AuthScheme> make_basic_scheme(DefObject& config, const TemplateScope& scope) {
  auto user = config.require("username").template_text(scope);
  std::vector<std::string> env;
  if (auto e = config.get("env"))
    env = e->strings();
  return std::make_unique<BasicScheme>(std::move(user), std::move(env));
}

} // namespace auditfetch
