#pragma once
// Paging styles: how the request for the next page follows from the one sent and the page it
// brought (body and headers). One interface; each style is a file in src/paging/, registered
// in src/paging/styles.cpp. Pure: no sockets.

#include "auditfetch/json/definition.hpp"
#include "auditfetch/paging/page.hpp"
#include "auditfetch/time/time.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace auditfetch {

// What the pages of one listing need to know beyond the definition.
struct PagingSetup {
  std::size_t page_size = 0;
  // A record's time and id, for styles that continue by keyset; nullopt when unreadable.
  std::function<std::optional<std::pair<Timestamp, std::string>>(JsonValue)> record_key;
  // The first request again, from a later time (keyset continuation).
  std::function<HttpRequest(Timestamp since)> restart;
  // Called on each parsed page before anything else: throws when the body reports an error
  // (APIs that answer 200 with {"ok": false}).
  std::function<void(const Page&)> check;
};

// The paging state of one listing.
class Paginator {
public:
  virtual ~Paginator() = default;
  // Called on each page before it is delivered; may drop records a keyset restart fetched
  // again.
  virtual void accept(Page&) {}
  // The request for the page after `page`, or nullopt when the API offers none. Throws
  // Error(remote) when the page's paging data is unusable (a cursor that is not a string).
  virtual std::optional<HttpRequest> next(const HttpRequest& sent, const Page& page) = 0;
};

class PagingStyle {
public:
  virtual ~PagingStyle() = default;
  virtual std::unique_ptr<Paginator> start(const PagingSetup& setup) const = 0;
  // One line for `providers NAME` and --explain: "follows the Link header's rel=\"next\"".
  virtual std::string describe() const = 0;
  // True when only the first request carries the query (later pages ignore it): a native
  // --filter, which cannot be checked locally, would hold for the first page only.
  virtual bool query_on_first_page_only() const { return false; }
  // Why the listing of a closed window [since, until) may not be exact: the API cannot bound
  // its pages by time (a checkpoint by id after the first page ends at a heuristic, not at the
  // window's end). Empty when the pages of a window are exactly the window's. `verify` refuses
  // a listing it cannot trust.
  virtual std::string inexact_window() const { return {}; }
};

// The style a definition's pagination names ({"style": NAME, ...}); the options the style
// does not read are definition problems.
std::unique_ptr<PagingStyle> make_paging_style(DefObject& pagination);

std::vector<std::string_view> paging_style_names();

} // namespace auditfetch
