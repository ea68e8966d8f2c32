#pragma once
// list --order where the API serves the other order and cannot be asked for this one: the
// matching activities are kept as they come (in memory, past a threshold in an unnamed
// temporary file) and printed last first once the listing has been read to its end.

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/util/diagnostics.hpp"
#include "auditfetch/util/env.hpp"
#include "auditfetch/util/spill_stack.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace auditfetch {

// Activities kept in memory before they go to a temporary file: AUDITFETCH_ORDER_MEMORY, else
// 10,000 (and never more than 16 MiB of them). Throws Error(usage) for a value that is not a
// number.
std::size_t order_memory_items(const EnvLookup& env);

// Where the temporary file goes: $TMPDIR, else /tmp.
std::string order_spill_directory(const EnvLookup& env);

class ReversedActivities {
public:
  ReversedActivities(const EnvLookup& env, Diagnostics& diagnostics, std::string provider);

  // Keep a copy of the activity (its remote_data too).
  void add(const Activity& activity);
  std::size_t size() const { return m_stack.size(); }
  // Hand the activities to `write`, the last added first, at most `limit` of them; returns how
  // many. Each activity is valid during its call only.
  std::size_t drain(std::optional<std::size_t> limit, const std::function<void(const Activity&)>& write);

private:
  Diagnostics& m_diagnostics;
  std::string m_provider;
  std::size_t m_memory_items;
  SpillStack m_stack;
  std::string m_encoded;
};

// The activity as bytes and back, exactly: remote_data as compact JSON, parsed again into
// `document` (which must outlive the decoded activity). Exposed for the unit tests.
std::string encode_activity(const Activity& activity);
Activity decode_activity(std::string_view bytes, std::optional<JsonDocument>& document);

} // namespace auditfetch
