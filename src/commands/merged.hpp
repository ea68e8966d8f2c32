#pragma once
// list over several sources (--profile A --profile B, --source NAME=PROFILE): each source is a
// `list` of its own, run in its own thread into a MergeHub, and printed merged in time order.

#include "auditfetch/commands/environment.hpp"
#include "auditfetch/commands/list.hpp"
#include "auditfetch/commands/tail.hpp"
#include "auditfetch/commands/verify.hpp"
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

// What one source's `tail` tells the merge: the time each complete poll has read up to, once
// its activities are written; and a poll that failed (it is retried with backoff).
struct TailHooks {
  std::function<void(Timestamp)> polled;
  std::function<void(const std::string&)> failed;
};

// One source's `tail`: as run_tail, printing through `writer` when given, telling `hooks`
// (when given) how its polls went.
int run_tail_into(const TailOptions& options, const Registry& registry, Environment& environment,
                  std::unique_ptr<Writer> writer, const TailHooks* hooks);

// `tail` over options.list.sources: each source polls on its own; their new activities are
// printed merged, oldest first, each once every source has polled past its time or after
// options.max_delay. Runs until SIGINT (130) or SIGTERM (0); a source that fails for good is
// reported at once and the others go on (then the exit is 1).
int run_merged_tail(const TailOptions& options, const Registry& registry, Environment& environment);

// `verify` over options.list.sources, one after the other, each against the lines of the
// files that name it (`source`). Exit 5 when the only failures are missing or repeated
// activities; a source that failed otherwise makes it 1.
int run_merged_verify(const VerifyOptions& options, const Registry& registry, Environment& environment);

} // namespace auditfetch
