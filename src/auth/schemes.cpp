// The one table of authentication schemes. A new scheme is a file with its factory and a
// line here.
#include "auditfetch/auth/scheme.hpp"
#include "client_pair_env.hpp"

#include <fmt/format.h>

#include <map>

namespace auditfetch {

// The implementations, one file each.
std::unique_ptr<AuthScheme> make_token_scheme(DefObject& config, const TemplateScope& scope);
std::unique_ptr<AuthScheme> make_basic_scheme(DefObject& config, const TemplateScope& scope);
std::unique_ptr<AuthScheme> make_oauth2_client_credentials_scheme(DefObject& config,
                                                                  const TemplateScope& scope);
std::unique_ptr<AuthScheme> make_jwt_bearer_scheme(DefObject& config, const TemplateScope& scope);
std::unique_ptr<AuthScheme> make_hmac_canonical_request_scheme(DefObject& config,
                                                               const TemplateScope& scope);

namespace {

using Factory = std::unique_ptr<AuthScheme> (*)(DefObject&, const TemplateScope&);

const std::map<std::string_view, Factory>& table() {
  static const std::map<std::string_view, Factory> schemes = {
      {"token", make_token_scheme},
      {"basic", make_basic_scheme},
      {"oauth2_client_credentials", make_oauth2_client_credentials_scheme},
      {"jwt_bearer", make_jwt_bearer_scheme},
      {"hmac_canonical_request", make_hmac_canonical_request_scheme},
  };
  return schemes;
}

} // namespace

std::vector<std::string_view> auth_scheme_names() {
  std::vector<std::string_view> names;
  for (const auto& [name, factory] : table())
    names.push_back(name);
  return names;
}

void read_client_pair_env(DefObject& config, CredentialNeeds& needs) {
  std::vector<std::string> ids, secrets;
  if (auto e = config.get("client_id_env"))
    ids = e->one_or_more_strings();
  if (auto e = config.get("client_secret_env"))
    secrets = e->one_or_more_strings();
  if (ids.size() != secrets.size())
    config.node().fail("client_id_env and client_secret_env name variables in pairs");
  for (std::size_t i = 0; i < ids.size(); ++i)
    needs.pair_env.emplace_back(ids[i], secrets[i]);
}

std::unique_ptr<AuthScheme> make_auth_scheme(const DefNode& node, const TemplateScope& scope) {
  DefObject config(node);
  const auto name = config.require("scheme").one_of(auth_scheme_names());
  auto scheme = table().at(name)(config, scope);
  config.done();
  return scheme;
}

} // namespace auditfetch
