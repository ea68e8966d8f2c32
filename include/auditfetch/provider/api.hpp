#pragma once
// Authenticated requests to a provider's API, with HTTP statuses turned into errors.

#include "auditfetch/auth/scheme.hpp"
#include "auditfetch/http/client.hpp"
#include "auditfetch/json/document.hpp"
#include "auditfetch/provider/context.hpp"
#include "auditfetch/util/error.hpp"

#include <memory>
#include <string>

namespace auditfetch {

enum class Purpose { list, get };

class ApiSession {
public:
  // `credentials` are those the authorizer was made from (named in messages).
  ApiSession(const ProviderContext& context, HttpClient& http, Authorizer& authorizer,
             Credentials credentials);

  // Send with credentials; after a 401 renew them (OAuth2) and repeat once. Return a 2xx
  // response. Throws Error: auth for 401/403 (naming where the credentials came from),
  // not_found for 404 on `get`, usage for 400 (the request as configured is invalid), remote
  // for anything else; the message is the error body's, as the definition locates it.
  HttpResponse fetch(HttpRequest request, Purpose purpose);

  // Throw the error a 2xx body reports in the provider's own way (Slack's "ok": false), as
  // fetch would for the status its code stands for; return when the body reports none.
  void check_body(JsonValue root, Purpose purpose) const;

  Authorizer& authorizer() { return m_authorizer; }
  const Credentials& credentials() const { return m_credentials; }

private:
  Error refused(int status, const std::string& detail) const;
  Error error_for(int status, const std::string& detail, Purpose purpose) const;

  const ProviderContext& m_context;
  HttpClient& m_http;
  Authorizer& m_authorizer;
  Credentials m_credentials;
};

} // namespace auditfetch
