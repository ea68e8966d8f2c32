#pragma once
// (request, page) → next request | done. Pure: no sockets.

#include "auditfetch/http/types.hpp"
#include "auditfetch/mapping/json.hpp"
#include "auditfetch/provider/spec.hpp"
#include "auditfetch/time/time.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace auditfetch {

// One parsed page. Its values live in the page's own document, freed with the page. Pages
// move between threads, so everything `body` and `records` point to lives on the heap.
struct Page {
  std::size_t number = 0; // 1-based
  std::string url;        // the request that produced it
  JsonDocument parsed;    // parsed.root is the whole body
  // The records in page order (a `get` record alone); null until parsed.
  std::unique_ptr<std::vector<JsonValue>> records;
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
  // Builds the first request again with a later --since (keyset continuation).
  using Restart = std::function<HttpRequest(Timestamp since)>;

  Pager(const ProviderSpec& spec, std::string base_url, std::size_t page_size,
        Restart restart = {});

  // Called on each page before it is delivered: drops the records a keyset restart fetched
  // again (same timestamp as the boundary, id already seen), and remembers where it ends.
  void accept(Page& page);

  // Return the request for the page after `page`, or nullopt when it was the last one.
  // Throws Error(remote) for a next link to another origin, a link or cursor already
  // followed, or a keyset that cannot advance.
  std::optional<HttpRequest> next_request(const HttpRequest& current, const Page& page);

  // The next request read from the first bytes of a list response, before it is parsed, so
  // that it can be sent while the page is parsed: HAL next links and cursors near the start
  // of the body. nullopt when it is not there, for offset paging, and for anything
  // next_request would refuse. Remembers nothing: next_request on the parsed page stays the
  // authority (the two differ only for a body with duplicate keys).
  std::optional<HttpRequest> early_next_request(const HttpRequest& current,
                                                std::string_view body) const;

private:
  std::optional<HttpRequest> hal_request(const HttpRequest& current, std::size_t page_number,
                                         std::string_view link) const;
  std::optional<HttpRequest> cursor_request(const HttpRequest& current, std::size_t page_number,
                                            std::string_view cursor) const;
  std::optional<HttpRequest> next_hal(const HttpRequest& current, const Page& page);
  std::optional<HttpRequest> next_cursor(const HttpRequest& current, const Page& page);
  std::optional<HttpRequest> next_offset(const HttpRequest& current, const Page& page);

  const ProviderSpec& m_spec;
  std::string m_base_url;
  std::size_t m_page_size;
  Restart m_restart;
  std::set<std::string> m_seen;
  // Offset paging.
  std::size_t m_offset = 0;
  std::size_t m_raw_count = 0;
  std::optional<Timestamp> m_last_time;
  std::set<std::string> m_ids_at_last_time;
  std::optional<Timestamp> m_boundary_time; // after a keyset restart
  std::set<std::string> m_boundary_ids;
};

} // namespace auditfetch
