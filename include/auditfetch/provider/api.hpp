#pragma once
// Authenticated requests to a provider's API, with HTTP statuses turned into errors.

#include "auditfetch/auth/auth.hpp"
#include "auditfetch/http/client.hpp"
#include "auditfetch/provider/context.hpp"

#include <string>

namespace auditfetch {

enum class Purpose { list, get };

class ApiSession {
public:
  ApiSession(const ProviderContext& context, HttpClient& http, Authenticator& auth);

  // Send with credentials; after a 401 renew an OAuth2 token and repeat once. Return a 2xx
  // response. Throws Error: auth for 401/403, not_found for 404 on `get`, usage for 400 (the
  // request as configured is invalid), remote for anything else.
  HttpResponse fetch(HttpRequest request, Purpose purpose);

private:
  const ProviderContext& m_context;
  HttpClient& m_http;
  Authenticator& m_auth;
};

// Return a readable message from a provider's error body (PingOne, SailPoint, ThousandEyes,
// Truto and OAuth2 shapes), or the start of a non-JSON body; unsanitised.
std::string remote_error_message(const std::string& body);

} // namespace auditfetch
