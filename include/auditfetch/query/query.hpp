#pragma once
// The unified query: what the user asked for, independent of any provider; built from the
// filter flags (QueryOptions) and applied locally to every activity (LocalFilter).

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/time/time.hpp"
#include "auditfetch/time/zone.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace auditfetch {

// The filter flags of list, tail and verify, as given (text, not yet interpreted).
struct QueryOptions {
  std::optional<std::string> since;
  std::optional<std::string> until;
  std::vector<std::string> actions;
  std::optional<std::string> actor_id;
  std::optional<std::string> entity;
  std::optional<std::string> entity_type;
  std::vector<std::string> filters; // --filter: provider-native expressions
  std::vector<std::string> params;  // --param k=v
  std::optional<std::size_t> limit;
  std::optional<std::size_t> page_size;
  std::optional<std::string> order; // list --order: newest | oldest
};

// The order `list --order` prints in, whatever order the API serves.
enum class PrintOrder { newest_first, oldest_first };

struct Query {
  std::optional<Timestamp> since; // inclusive
  std::optional<Timestamp> until; // exclusive
  std::vector<std::string> actions; // unified or provider-native values, OR-ed
  std::optional<std::string> actor_id;
  std::optional<std::string> entity;
  std::optional<std::string> entity_type;
  std::vector<std::string> native_filters; // provider-native expressions, AND-ed
  std::vector<std::pair<std::string, std::string>> params; // raw query passthrough
  std::optional<std::size_t> limit;
  std::optional<std::size_t> page_size;
  std::optional<PrintOrder> order; // nullopt: as the API serves
  // `order` is kept by reversing here, never asked of the API: a checkpointed source of a
  // merged list keeps its API's own order and continuation.
  bool order_here = false;
  // The API's continuation will be kept as a resume point (--state): the page size it carries
  // must not shrink to a small --limit, or every later run would read pages that small.
  bool keeps_continuation = false;
};

// The query the flags describe; relative times count back from `now`, times without an offset
// (dates, today) are read in `zone` (--tz). Throws Error(usage) naming the flag for a time,
// --param or --limit that is not valid.
Query make_query(const QueryOptions& options, Timestamp now, const Zone& zone = Zone::utc());

// Parse "k=v" for --param; throws Error(usage).
std::pair<std::string, std::string> parse_param(const std::string& text);

// The unified filters, applied to every mapped activity so that a filter means the same on
// every provider whether or not the server evaluated it.
struct LocalFilter {
  std::optional<Timestamp> since;
  std::optional<Timestamp> until;
  std::vector<std::string> actions;
  std::optional<std::string> actor_id;
  std::optional<std::string> entity;
  std::optional<std::string> entity_type;

  static LocalFilter of(const Query& query);
  bool matches(const Activity& activity) const;
  bool empty() const;
};

} // namespace auditfetch
