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

Error ApiSession::error_for(int status, const std::string& detail, Purpose purpose) const {
  switch (status) {
  case 401:
  case 403:
    return refused(status, detail);
  case 404:
    if (purpose == Purpose::get)
      return Error(ErrorKind::not_found, fmt::format("no such activity ({})", detail));
    // The collection itself is missing: a wrong account setting or --base-url.
    return Error(ErrorKind::usage, fmt::format("not found (404): {}", detail),
                 "check the provider settings and --base-url");
  case 400:
  case 422:
    return Error(ErrorKind::usage, fmt::format("the API rejected the request ({}): {}", status, detail),
                 "check --filter, --param and the filter flags; -v shows the request");
  default:
    return Error(ErrorKind::remote, fmt::format("HTTP {}{}{}", status, detail.empty() ? "" : ": ", detail),
                 is_retryable_status(status) ? "the API is overloaded or down; try again later or raise --retries"
                                             : "");
  }
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
    if (is_rate_limited(response, m_context.spec->rate_limit)) {
      // Still limited after the retries, or told to wait longer than auditfetch waits.
      const auto wait = server_requested_wait(response, m_context.spec->rate_limit, now_ms());
      throw Error(ErrorKind::remote,
                  fmt::format("HTTP {}{}{}{}", response.status, response.status == 429 ? "" : " (rate limited)",
                              detail.empty() ? "" : ": ", detail),
                  wait && *wait > std::chrono::minutes{5}
                      ? fmt::format("the API's limit resets in {} min; run again then",
                                    std::chrono::duration_cast<std::chrono::minutes>(*wait).count() + 1)
                      : "the API is rate limiting this account; wait, or raise --retries");
    }
    if (response.status == 401 && m_authorizer.renew())
      continue;
    throw error_for(response.status, detail, purpose);
  }
}

void ApiSession::check_body(JsonValue root, Purpose purpose) const {
  const auto& errors = m_context.spec->errors;
  if (errors.failed_when_false.empty())
    return;
  const auto flag = find_pointer(root, errors.failed_when_false);
  if (!flag || !flag->is_bool() || flag->get_bool().value_unsafe())
    return;
  // An error in a 2xx body (Slack: {"ok": false, "error": "invalid_auth"}): its code says what
  // it would have been as a status.
  int status = 400;
  if (const auto code = find_pointer(root, errors.code); code && code->is_string())
    if (const auto it = errors.code_statuses.find(std::string(code->get_string().value_unsafe()));
        it != errors.code_statuses.end())
      status = it->second;
  std::string body = compact_json(root);
  for (const auto& secret : m_authorizer.secrets())
    body = redact_secret(std::move(body), secret);
  throw error_for(status, sanitize_for_terminal(truncate_text(error_body_message(body, errors), 300)), purpose);
}

} // namespace auditfetch
