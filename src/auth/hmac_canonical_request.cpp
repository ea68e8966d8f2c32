// Every request signed with an HMAC of its canonical form (Duo's Admin API): the integration
// key and the hex signature as HTTP Basic credentials, and the Date the signature covers. Each
// page is signed afresh.
#include "auditfetch/auth/scheme.hpp"
#include "client_pair_env.hpp"
#include "auditfetch/auth/signing.hpp"

#include "auditfetch/util/text.hpp"

#include <fmt/format.h>

#include <chrono>

namespace auditfetch {
namespace {

class HmacAuthorizer final : public Authorizer {
public:
  HmacAuthorizer(std::string digest, Credentials credentials)
      : m_digest(std::move(digest)), m_credentials(std::move(credentials)) {}

  void authorize(HttpRequest& request) override {
    const auto date = rfc2822_date(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
    const auto signature = hmac_hex(m_digest, m_credentials.client_secret, canonical_request_v2(request, date));
    request.set_header("Date", date);
    request.set_header("Authorization", "Basic " + base64_encode(m_credentials.client_id + ":" + signature));
  }

  std::vector<std::string> secrets() const override { return {m_credentials.client_secret}; }

private:
  std::string m_digest;
  Credentials m_credentials;
};

class HmacScheme final : public AuthScheme {
public:
  HmacScheme(std::string digest, CredentialNeeds needs) : m_digest(std::move(digest)), m_needs(std::move(needs)) {}

  const CredentialNeeds& needs() const override { return m_needs; }

  std::string describe() const override {
    return fmt::format("each request signed: HMAC-{} of its canonical form and Date, as HTTP Basic "
                       "with the integration key",
                       ascii_lower(m_digest) == "sha1" ? "SHA1" : m_digest == "sha256" ? "SHA256" : "SHA512");
  }

  std::vector<Header> masked_headers(std::string_view date) const override {
    return {{"Date", std::string(date)}, {"Authorization", "Basic ****"}};
  }

  std::unique_ptr<Authorizer> authorizer(Credentials credentials, const Vars&, HttpClient&) const override {
    return std::make_unique<HmacAuthorizer>(m_digest, std::move(credentials));
  }

private:
  std::string m_digest;
  CredentialNeeds m_needs;
};

} // namespace

std::unique_ptr<AuthScheme> make_hmac_canonical_request_scheme(DefObject& config, const TemplateScope&) {
  const auto digest = config.get("digest") ? config.require("digest").one_of({"sha1", "sha256", "sha512"}) : "sha1";
  CredentialNeeds needs;
  needs.kind = CredentialNeeds::Kind::client_pair;
  read_client_pair_env(config, needs);
  return std::make_unique<HmacScheme>(digest, std::move(needs));
}

} // namespace auditfetch
