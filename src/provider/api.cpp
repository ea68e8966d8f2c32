#include "auditfetch/provider/api.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/json/document.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/sanitize.hpp"
#include "auditfetch/util/text.hpp"

#include <fmt/format.h>

namespace auditfetch {

ApiSession::ApiSession(const ProviderContext& context, HttpClient& http, Authorizer& authorizer,
                       Credentials credentials)
    : m_context(context), m_http(http), m_authorizer(authorizer),
      m_credentials(std::move(credentials)) {}

Error ApiSession::refused(int status, const std::string& detail) const {
  const auto what = status == 403 ? "access refused (403)" : "authentication refused (401)";
  const auto message = fmt::format("{}{}{}", what, detail.empty() ? "" : ": ", detail);
  std::string hint;
  if (status == 403)
    hint = fmt::format("the credentials from {} work but may not read audit activity; check the "
                       "role or scopes granted to them",
                       m_credentials.source);
  else if (m_credentials.token_url.empty())
    hint = m_credentials.kind == CredentialNeeds::Kind::token
               ? fmt::format("the token from {} was refused; it may be expired: set a fresh one",
                             m_credentials.source)
               : fmt::format("the keys from {} were refused; check them", m_credentials.source);
  else
    hint = fmt::format("a fresh token from {} was refused too; check {}",
                       redact_url(m_credentials.token_url), m_credentials.source);
  return Error(ErrorKind::auth, message, hint);
}

HttpResponse ApiSession::fetch(HttpRequest request, Purpose purpose) {
  for (;;) {
    m_authorizer.authorize(request);
    auto response = m_http.send(request);
    if (response.status / 100 == 2)
      return response;
    // A server or a proxy may quote the request's credentials in its error body: redacted
    // before it is parsed or cut short, so no part of a secret survives either.
    std::string body = std::move(response.body);
    for (const auto& secret : m_authorizer.secrets())
      body = redact_secret(std::move(body), secret);
    const auto detail = sanitize_for_terminal(
        truncate_text(error_body_message(body, m_context.spec->errors), 300));
    if (response.status != 429 && is_rate_limited(response, m_context.spec->rate_limit))
      throw Error(ErrorKind::remote,
                  fmt::format("HTTP {} (rate limited){}{}", response.status, detail.empty() ? "" : ": ", detail),
                  "wait for the limit to reset, or raise --retries");
    switch (response.status) {
    case 401:
      if (m_authorizer.renew())
        continue;
      throw refused(401, detail);
    case 403:
      throw refused(403, detail);
    case 404:
      if (purpose == Purpose::get)
        throw Error(ErrorKind::not_found, fmt::format("no such activity ({})", detail));
      // The collection itself is missing: a wrong account setting or --base-url.
      throw Error(ErrorKind::usage, fmt::format("not found (404): {}", detail),
                  "check the provider settings and --base-url");
    case 400:
    case 422:
      throw Error(ErrorKind::usage,
                  fmt::format("the API rejected the request ({}): {}", response.status, detail),
                  "check --filter, --param and the filter flags; -v shows the request");
    default:
      throw Error(ErrorKind::remote,
                  fmt::format("HTTP {}{}{}", response.status, detail.empty() ? "" : ": ", detail),
                  is_retryable_status(response.status)
                      ? "the API is overloaded or down; try again later or raise --retries"
                      : "");
    }
  }
}

} // namespace auditfetch
