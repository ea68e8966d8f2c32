#include "auditfetch/paging/listing.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/sanitize.hpp"

#include <fmt/format.h>

namespace auditfetch {
namespace {

std::string key_of(const HttpRequest& request) {
  return request.method + " " + request.url + "\n" + request.body;
}

} // namespace

Listing::Listing(const PagingStyle& style, const StopRules& stop, const PagingSetup& setup,
                 std::string records_pointer, std::string base_url, HttpRequest first, Fetch fetch)
    : m_stop(stop), m_paginator(style.start(setup)), m_check(setup.check),
      m_records_pointer(std::move(records_pointer)),
      m_base_url(std::move(base_url)), m_fetch(std::move(fetch)), m_request(std::move(first)) {}

std::optional<Page> Listing::next() {
  if (!m_request)
    return std::nullopt;
  ++m_number;
  m_sent = std::move(*m_request);
  m_request.reset();
  Page page;
  try {
    auto response = m_fetch(m_sent);
    page = parse_page(response, m_records_pointer, m_number, m_sent.url);
    page.request = m_sent;
    if (m_check)
      m_check(page);
    m_paginator->accept(page);
  } catch (const Error& e) {
    throw e.with_context(fmt::format("page {}", m_number));
  }
  m_seen.insert(key_of(m_sent));
  m_request = next_request(page); // its errors name the page themselves
  return page;
}

std::optional<HttpRequest> Listing::next_request(Page& page) {
  auto next = m_paginator->next(m_sent, page);
  if (!next)
    return std::nullopt;
  Origin next_origin, own_origin;
  try {
    next_origin = origin_of(next->url, "next link");
    own_origin = origin_of(m_sent.url);
  } catch (const Error&) {
    throw Error(ErrorKind::remote,
                fmt::format("page {}: the next link '{}' is not an http(s) URL", page.number,
                            sanitize_for_terminal(redact_url(next->url))));
  }
  // A next request carries our credentials, and may be kept as a resume point: it must stay
  // on the API's origin.
  if (next_origin != own_origin && next_origin != origin_of(m_base_url))
    throw Error(ErrorKind::remote,
                fmt::format("page {}: refusing the next link to {}: not the API's origin {}",
                            page.number, sanitize_for_terminal(next_origin.to_string()),
                            own_origin.to_string()));
  page.continuation = next;
  if (!m_stop.more_pointer.empty())
    if (const auto more = find_pointer(page.parsed.root, m_stop.more_pointer);
        more && more->is_bool() && !more->get_bool().value_unsafe())
      return std::nullopt;
  if (m_stop.empty_page && page.records->empty())
    return std::nullopt;
  if (m_stop.next_is_current && key_of(*next) == key_of(m_sent))
    return std::nullopt;
  if (m_seen.count(key_of(*next)))
    throw Error(ErrorKind::remote,
                fmt::format("page {}: the next page would repeat an earlier one; stopping a loop",
                            page.number));
  return next;
}

} // namespace auditfetch
