#pragma once
// What `verify` compares: the activities of NDJSON files auditfetch printed earlier, read back
// line by line and counted by id, against what a listing of the same window serves now. Memory
// grows with the number of distinct ids, never with the records: 24 bytes an id (its SHA-256,
// cut to 128 bits, stands for it) and 4 to 8 bytes of index.

#include "auditfetch/provider/context.hpp"
#include "auditfetch/query/query.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

class IdTally {
public:
  IdTally();
  ~IdTally();
  IdTally(const IdTally&) = delete;
  IdTally& operator=(const IdTally&) = delete;

  // A line of the files holds this id; `in_scope`: its time is in the window and it matches
  // the filters (as far as the line shows).
  void add_file(std::string_view id, bool in_scope);
  // The listing served `id` once more. True when the files hold fewer copies of it than the
  // API has now served: this one is missing from them.
  bool add_served(std::string_view id);

  struct Totals {
    std::uint64_t served = 0;     // activities the listing served
    std::uint64_t in_files = 0;   // lines of this provider and account
    std::uint64_t missing = 0;    // served more often than the files hold them
    std::uint64_t duplicated = 0; // copies in the files beyond what the API serves
    std::uint64_t outside = 0;    // not served, and outside the window or the filters
    std::uint64_t unknown = 0;    // not served, though inside the window and the filters
  };
  Totals totals() const;
  std::size_t distinct_ids() const;

private:
  struct Entry;
  Entry& find_or_add(std::string_view id);
  Entry& entry(std::uint32_t index);
  const Entry& entry(std::uint32_t index) const;
  void grow_index();

  std::vector<std::unique_ptr<Entry[]>> m_chunks;
  std::vector<std::uint32_t> m_index; // open addressing: 0 empty, else entry number + 1
  std::uint32_t m_count = 0;
};

// Which lines of the files count as activities of this run's provider and account, and which
// of those are in the window and the filters.
struct LineScope {
  std::string provider;
  // The organization every activity of the account carries, where the definition maps it from
  // an account setting; nullopt when a line cannot show its account.
  std::optional<std::string> organization;
  // verify of several sources: only lines whose `source` is this one are this source's.
  std::optional<std::string> source;
  Timestamp since;
  Timestamp until;
  LocalFilter filter; // the unified filters a line can be checked against
};

// The scope of a run: its provider, account and window ([query.since, query.until), both set).
LineScope line_scope(const ProviderContext& context, const Query& query);

struct FileLine {
  enum class Kind { blank, not_activity, other_account, activity } kind = Kind::blank;
  std::string id;
  bool in_scope = false;
};

// What one line is: an activity (a JSON object with a string id, provider and created_at) of
// the scope's provider and account, of another one, or not an activity at all.
FileLine classify_line(std::string_view line, const LineScope& scope);

struct FileCounts {
  std::uint64_t lines = 0;          // not blank
  std::uint64_t not_activities = 0; // not an activity object (or without an id)
  std::uint64_t other_account = 0;  // an activity of another provider or account
};

// Read NDJSON from each path in turn ("-": the descriptor `stdin_fd`; no path: it alone) into
// `tally`. Throws Error(usage) naming a file that cannot be read.
FileCounts read_activity_files(const std::vector<std::string>& paths, int stdin_fd,
                               const LineScope& scope, IdTally& tally);

} // namespace auditfetch
