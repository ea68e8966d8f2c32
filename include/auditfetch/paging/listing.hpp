#pragma once
// The page loop every command shares: the first request, then each next one, with what no
// style may do checked once here: a next request that leaves the API's origin, that repeats
// an earlier page, and the definition's stop rules.

#include "auditfetch/paging/style.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace auditfetch {

// When a listing is complete although the API offers a next request (definition:
// pagination.stop).
struct StopRules {
  bool empty_page = false;      // a page without records is the last
  bool next_is_current = false; // a next request equal to the one sent is the end, not a loop
  std::string more_pointer;     // the page is the last when the value there is false
};

class Listing {
public:
  using Fetch = std::function<HttpResponse(const HttpRequest&)>;

  Listing(const PagingStyle& style, const StopRules& stop, const PagingSetup& setup,
          std::string records_pointer, std::string base_url, HttpRequest first, Fetch fetch);

  // The next page, nullopt when the listing is complete; page.continuation says where a later
  // listing may continue. Throws Error(remote) naming the page for a failed fetch, an invalid
  // page, a next request to another origin, or a loop.
  std::optional<Page> next();

  // The request the last page came from.
  const HttpRequest& last_request() const { return m_sent; }

private:
  std::optional<HttpRequest> next_request(Page& page);

  const StopRules& m_stop;
  std::unique_ptr<Paginator> m_paginator;
  std::function<void(const Page&)> m_check;
  std::string m_records_pointer;
  std::string m_base_url;
  Fetch m_fetch;
  std::optional<HttpRequest> m_request;
  HttpRequest m_sent;
  std::set<std::string> m_seen;
  std::size_t m_number = 0;
};

} // namespace auditfetch
