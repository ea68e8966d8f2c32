// A static token in a header: "Authorization: Bearer T", "Authorization: SSWS T", or an API
// key header ("X-Api-Key: T", no prefix).
#include "auditfetch/auth/scheme.hpp"

#include <fmt/format.h>

namespace auditfetch {
namespace {

class TokenAuthorizer final : public Authorizer {
public:
  TokenAuthorizer(std::string header, std::string value, std::string token)
      : m_header(std::move(header)), m_value(std::move(value)), m_token(std::move(token)) {}

  void authorize(HttpRequest& request) override { request.set_header(m_header, m_value); }
  std::vector<std::string> secrets() const override { return {m_token}; }

private:
  std::string m_header;
  std::string m_value;
  std::string m_token;
};

class TokenScheme final : public AuthScheme {
public:
  TokenScheme(std::string header, std::string prefix, std::vector<std::string> env)
      : m_header(std::move(header)), m_prefix(std::move(prefix)) {
    m_needs.kind = CredentialNeeds::Kind::token;
    m_needs.token_env = std::move(env);
  }

  const CredentialNeeds& needs() const override { return m_needs; }

  std::string describe() const override {
    return m_prefix.empty() ? fmt::format("a token in the {} header", m_header)
                            : fmt::format("a token in {}: {} TOKEN", m_header, m_prefix);
  }

  std::vector<Header> masked_headers(std::string_view) const override {
    return {{m_header, m_prefix.empty() ? "****" : m_prefix + " ****"}};
  }

  std::unique_ptr<Authorizer> authorizer(Credentials credentials, const Vars&,
                                         HttpClient&) const override {
    auto value = m_prefix.empty() ? credentials.token : m_prefix + " " + credentials.token;
    return std::make_unique<TokenAuthorizer>(m_header, std::move(value), credentials.token);
  }

private:
  std::string m_header;
  std::string m_prefix;
  CredentialNeeds m_needs;
};

} // namespace

std::unique_ptr<AuthScheme> make_token_scheme(DefObject& config, const TemplateScope&) {
  const auto header = config.string_or("header", "Authorization");
  auto prefix = config.string_or("prefix", header == "Authorization" ? "Bearer" : "");
  if (header.empty() || header.find_first_of(" :\r\n") != std::string::npos)
    config.node().fail(fmt::format("\"{}\" is not a header name", header));
  std::vector<std::string> env;
  if (auto e = config.get("env"))
    env = e->strings();
  return std::make_unique<TokenScheme>(header, std::move(prefix), std::move(env));
}

} // namespace auditfetch
