#pragma once
// What every scheme that exchanges something for an access token shares: the request to the
// token endpoint (RFC 6749 section 5), its errors with secrets redacted, and the token's life.

#include "auditfetch/http/client.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace auditfetch {

struct IssuedToken {
  std::string access_token;
  std::chrono::steady_clock::time_point renew_at; // a little before it expires
};

// Send `request` to the token endpoint and read the access token. Throws Error(auth) when the
// endpoint refuses (400/401/403: its message, every one of `secrets` redacted, and `hint`),
// Error(remote) when it fails or answers without an access_token. Messages start "token
// request to URL".
IssuedToken request_token(HttpClient& http, const HttpRequest& request,
                          const std::vector<std::string>& secrets, const std::string& hint);

} // namespace auditfetch
