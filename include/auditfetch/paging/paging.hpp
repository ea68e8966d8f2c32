#pragma once
// (request, page) → next request | done. Pure: no sockets.

#include "auditfetch/http/types.hpp"
#include "auditfetch/provider/spec.hpp"

#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace auditfetch {

// One parsed page. Its records live in the page's own arena, freed with the page.
struct Page {
  std::size_t number = 0; // 1-based
  std::string url;        // the request that produced it
  std::unique_ptr<boost::json::monotonic_resource> arena;
  boost::json::value body;
  const boost::json::array* records = nullptr;
  boost::json::array single; // holds the record of a `get`, so it reads like a page
};

// Parse a 2xx list response. Throws Error(remote) for a body that is not JSON, or whose
// records are not an array; the message names the page and content type.
Page parse_page(const ProviderSpec& spec, const HttpResponse& response, std::size_t number,
                const std::string& url);

// Parse a single-record response (`get`). Throws Error(remote) as parse_page does.
Page parse_record(const ProviderSpec& spec, const HttpResponse& response, const std::string& url);

// Follows pages and refuses to loop or wander.
class Pager {
public:
  Pager(const ProviderSpec& spec, std::string base_url);

  // Return the request for the page after `page`, or nullopt when it was the last one.
  // Throws Error(remote) for a next link to another origin or one already followed.
  std::optional<HttpRequest> next_request(const HttpRequest& current, const Page& page);

private:
  const ProviderSpec& m_spec;
  std::string m_base_url;
  std::set<std::string> m_seen;
};

} // namespace auditfetch
