#pragma once
// What list and tail share: the query from the flags, the -v plan report, the checkpoint.

#include "auditfetch/cli/options.hpp"
#include "auditfetch/http/client.hpp"
#include "auditfetch/paging/paging.hpp"
#include "auditfetch/provider/plan.hpp"
#include "auditfetch/query/query.hpp"
#include "auditfetch/state/checkpoint.hpp"
#include "stages.hpp"

#include <optional>
#include <string>
#include <vector>

namespace auditfetch {

// "a, b" or "none".
std::string joined(const std::vector<std::string>& items);

// The unified query from list's flags; throws Error(usage).
Query make_query(const ListOptions& options, Timestamp now);

// -v: which filters were pushed down, and the default window if one was used.
void report_plan(Diagnostics& diagnostics, const ProviderSpec& spec, const Query& query,
                 const ListPlan& plan);

// Re-plans `query` from a later --since: the pager's keyset continuation.
Pager::Restart keyset_restart(const Stages& stages, const Query& query, Timestamp now);

// The checkpoint named by --state: loaded (checked against provider and account), new, or
// nullopt without --state.
std::optional<Checkpoint> open_checkpoint(const ListOptions& options, const Stages& stages);

} // namespace auditfetch
