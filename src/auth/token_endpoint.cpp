#include "token_endpoint.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/json/document.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/sanitize.hpp"
#include "auditfetch/util/text.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace auditfetch {
namespace {

namespace json = boost::json;

// Renew this long before the announced expiry, so a token never dies mid-request.
constexpr std::chrono::seconds k_expiry_margin{30};

// RFC 6749 5.2.
ErrorShape oauth2_errors() {
  ErrorShape shape;
  shape.message = {"/error", "/error_description", "/message"};
  return shape;
}

} // namespace

IssuedToken request_token(HttpClient& http, const HttpRequest& request,
                          const std::vector<std::string>& secrets, const std::string& hint) {
  require_secure_for_credentials(request.url);
  const auto where = fmt::format("token request to {}", redact_url(request.url));
  HttpResponse response;
  try {
    response = http.send(request);
  } catch (const Error& e) {
    throw e.with_context(where); // say it was the token request, not a page, that failed
  }
  if (response.status == 400 || response.status == 401 || response.status == 403) {
    // A token endpoint may quote what it was sent; the secret must not reach the terminal.
    std::string body = response.body;
    for (const auto& secret : secrets)
      body = redact_secret(std::move(body), secret);
    const auto detail =
        sanitize_for_terminal(truncate_text(error_body_message(body, oauth2_errors()), 300));
    throw Error(ErrorKind::auth,
                fmt::format("{}: refused ({}){}{}", where, response.status, detail.empty() ? "" : ": ",
                            detail),
                hint);
  }
  if (response.status / 100 != 2)
    throw Error(ErrorKind::remote, fmt::format("{}: HTTP {}", where, response.status));
  boost::system::error_code ec;
  const auto doc = json::parse(response.body, ec);
  const auto* object = !ec ? doc.if_object() : nullptr;
  const auto* token = object ? object->if_contains("access_token") : nullptr;
  if (!token || !token->is_string() || token->get_string().empty())
    throw Error(ErrorKind::remote, fmt::format("{}: the response holds no access_token", where));
  std::chrono::seconds lifetime{3600};
  if (const auto* expires = object->if_contains("expires_in")) {
    if (expires->is_int64())
      lifetime = std::chrono::seconds{expires->get_int64()};
    else if (expires->is_uint64())
      lifetime = std::chrono::seconds{static_cast<long long>(expires->get_uint64())};
  }
  const auto usable = lifetime > 2 * k_expiry_margin ? lifetime - k_expiry_margin : lifetime / 2;
  return {std::string(token->get_string()), std::chrono::steady_clock::now() + usable};
}

} // namespace auditfetch
