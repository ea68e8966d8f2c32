#pragma once
// list over several sources (--profile A --profile B, --source NAME=PROFILE): each source is a
// `list` of its own, run in its own thread into a MergeHub, and printed merged in time order.

#include "auditfetch/commands/environment.hpp"
#include "auditfetch/commands/list.hpp"
#include "auditfetch/commands/tail.hpp"
#include "auditfetch/output/writer.hpp"
#include "auditfetch/provider/registry.hpp"

#include <functional>
#include <memory>

namespace auditfetch {

// One source's `list`: as run_list, printing through `writer` when given instead of the
// writer the options describe.
int run_list_into(const ListOptions& options, const Registry& registry, Environment& environment,
                  std::unique_ptr<Writer> writer);

// `list` over options.sources. Exits 0 when every source was read; a failed source is
// reported by name after the others were printed, and the run exits 1 (a usage error in any
// source's options: 2, before anything is sent).
int run_merged_list(const ListOptions& options, const Registry& registry, Environment& environment);

// One source's `tail`: as run_tail, printing through `writer` when given, and telling `polled`
// (when given) the time each complete poll has read up to, once its activities are written.
int run_tail_into(const TailOptions& options, const Registry& registry, Environment& environment,
                  std::unique_ptr<Writer> writer, const std::function<void(Timestamp)>& polled);

// `tail` over options.list.sources: each source polls on its own; their new activities are
// printed merged, oldest first, each once every source has polled past its time or after
// options.max_delay. Runs until SIGINT (130) or SIGTERM (0); a source that fails for good is
// reported at once and the others go on (then the exit is 1).
int run_merged_tail(const TailOptions& options, const Registry& registry, Environment& environment);

} // namespace auditfetch
