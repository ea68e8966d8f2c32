#pragma once
// One response of a listing, parsed: its headers, its JSON and the records in it.

#include "auditfetch/http/types.hpp"
#include "auditfetch/json/document.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace auditfetch {

// One parsed page. Its values live in the page's own document, freed with the page. Pages
// move between threads, so everything `parsed` and `records` point to lives on the heap.
struct Page {
  std::size_t number = 0; // 1-based
  std::string url;        // the request that produced it
  std::vector<Header> headers;
  JsonDocument parsed; // parsed.root is the whole body
  // The records in page order (a `get` record alone); null until parsed.
  std::unique_ptr<std::vector<JsonValue>> records;
  // The request that continues after this page, when the API gave one (also when a stop rule
  // ended the listing): where a later run may resume once this page is delivered.
  std::optional<HttpRequest> continuation;
  // The request that brought this page (a listing's pages): where a later run resumes when
  // only part of the page was delivered (--limit).
  std::optional<HttpRequest> request;

  std::optional<std::string> header(std::string_view name) const;
};

// Parse a 2xx list response; the records are the array at `records_pointer` ("" = the body).
// Throws Error(remote) for a body that is not JSON, or whose records are not an array; the
// message names the content type.
Page parse_page(HttpResponse& response, const std::string& records_pointer, std::size_t number,
                const std::string& url);

// Parse a single-record response (`get`): the object at `record_pointer`.
Page parse_record(HttpResponse& response, const std::string& record_pointer, const std::string& url);

} // namespace auditfetch
