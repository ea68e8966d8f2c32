#include "auditfetch/provider/api.hpp"

#include "auditfetch/error.hpp"
#include "auditfetch/http/url.hpp"
#include "auditfetch/output/sanitize.hpp"
#include "auditfetch/util/text.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace auditfetch {
namespace json = boost::json;
namespace {

void append_string(std::string& out, const json::object& o, const char* key) {
  if (const auto* v = o.if_contains(key); v && v->is_string() && !v->get_string().empty())
    out += (out.empty() ? "" : ": ") + std::string(v->get_string());
}

std::string details_text(const json::object& o) {
  std::string out;
  for (const char* list_key : {"details", "errors", "messages", "causes"}) {
    const auto* list = o.if_contains(list_key);
    if (!list || !list->is_array())
      continue;
    for (const auto& item : list->get_array()) {
      if (!item.is_object())
        continue;
      std::string one;
      for (const char* key : {"code", "field", "target", "message", "text"})
        append_string(one, item.get_object(), key);
      if (!one.empty())
        out += (out.empty() ? "" : "; ") + one;
    }
  }
  return out;
}

// A server or a proxy may quote the request's credentials in its error body: the message
// must not carry them to a terminal or a log.
std::string without_credentials(std::string text, const std::optional<std::string>& authorization) {
  if (!authorization)
    return text;
  std::string_view secret = *authorization;
  if (const auto space = secret.find(' '); space != std::string_view::npos)
    secret.remove_prefix(space + 1); // the credentials after "Bearer " or "Basic "
  return redact_secret(std::move(text), secret);
}

} // namespace

std::string remote_error_message(const std::string& body) {
  boost::system::error_code ec;
  const auto doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    std::string start = truncate_text(body, 120);
    for (auto& c : start)
      if (c == '\n' || c == '\r')
        c = ' ';
    return start;
  }
  const auto& o = doc.get_object();
  std::string text;
  for (const char* key :
       {"code", "error", "detailCode", "title", "message", "error_description", "detail"})
    append_string(text, o, key);
  if (auto details = details_text(o); !details.empty())
    text += " (" + details + ")";
  return text;
}

ApiSession::ApiSession(const ProviderContext& context, HttpClient& http, Authenticator& auth)
    : m_context(context), m_http(http), m_auth(auth) {}

HttpResponse ApiSession::fetch(HttpRequest request, Purpose purpose) {
  for (;;) {
    request.set_header("Authorization", m_auth.authorization());
    auto response = m_http.send(request);
    if (response.status / 100 == 2)
      return response;
    // Redacted before it is parsed or cut short, so no part of a token survives either.
    const auto detail =
        remote_error_message(without_credentials(response.body, request.header("Authorization")));
    const auto shown = sanitize_for_terminal(truncate_text(detail, 300));
    switch (response.status) {
    case 401:
      if (m_auth.refresh_after_unauthorized())
        continue;
      throw m_auth.refused(401, detail);
    case 403:
      throw m_auth.refused(403, detail);
    case 404:
      if (purpose == Purpose::get)
        throw Error(ErrorKind::not_found, fmt::format("no such activity ({})", shown));
      // The collection itself is missing: a wrong account setting or --base-url.
      throw Error(ErrorKind::usage, fmt::format("not found (404): {}", shown),
                  "check the provider settings and --base-url");
    case 400:
      throw Error(ErrorKind::usage, fmt::format("the API rejected the request (400): {}", shown),
                  "check --filter, --param and the filter flags; -v shows the request");
    default:
      throw Error(ErrorKind::remote,
                  fmt::format("HTTP {}{}{}", response.status, shown.empty() ? "" : ": ", shown),
                  is_retryable_status(response.status)
                      ? "the API is overloaded or down; try again later or raise --retries"
                      : "");
    }
  }
}

} // namespace auditfetch
