#pragma once
// What the commands share: the stages built from the common options, the -v plan report, the
// checkpoint named by --state.

#include "auditfetch/commands/environment.hpp"
#include "auditfetch/commands/list.hpp"
#include "auditfetch/pipeline/slices.hpp"
#include "auditfetch/pipeline/stages.hpp"
#include "auditfetch/provider/plan.hpp"
#include "auditfetch/provider/registry.hpp"
#include "auditfetch/state/checkpoint.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace auditfetch {

// What a command prints: a listing, one activity (`get ID`), or a few (`get ID ID...`).
// `get` on a terminal shows a detail view rather than a table.
enum class Shape { stream, single_object, records };

// What a run settles before anything is built: the provider bound to its settings, the scheme
// and source of its credentials, and how it would send and print.
struct RunBasis {
  ProviderContext context;
  ResolvedCredentials credentials; // the secrets only when read (see resolve_run)
  WriterOptions writer;
  TransportOptions transport;
  RetryPolicy policy;
  MapOptions map;
  RateLimit rate; // --rate, else the definition's budget
};

// Validate every option. With `read_credentials` false no secret is read: no credentials
// file, no credentials command (--explain). Throws Error(usage) for anything wrong.
RunBasis resolve_run(const CommonOptions& options, const Registry& registry,
                     Environment& environment, Shape shape, bool read_credentials);

// Validate every option and build the stages. Throws Error(usage) for anything wrong, before
// any request is sent.
std::unique_ptr<Stages> make_stages(const CommonOptions& options, const Registry& registry,
                                    Environment& environment, Shape shape);

// Warn (stderr, not with -q) of each --action that is neither a unified action nor in the
// provider's action table, naming the nearest known ones: it is still sent, since the
// provider may have new types. Silent for a provider without a table of its native values.
void warn_unknown_actions(const ProviderSpec& spec, const std::vector<std::string>& actions,
                          Diagnostics& diagnostics);
// --tz's zone (UTC without it; "local" reads TZ). Throws Error(usage) for an unknown zone.
Zone zone_of(const CommonOptions& options);

// The query of list, tail and verify's flags, times read in --tz's zone.
Query list_query(const ListOptions& options, Timestamp now);

// "a, b" or "none".
std::string joined(const std::vector<std::string>& items);

// How --order is kept, for -v and --explain: "" without --order.
std::string order_keeping_text(const ProviderSpec& spec, const Query& query, const ListPlan& plan,
                               std::size_t memory_items);

// -v: which filters were pushed down, the default window if one was used, how --order is kept.
void report_plan(Diagnostics& diagnostics, const ProviderSpec& spec, const Query& query,
                 const ListPlan& plan);

// The checkpoint named by --state: loaded (checked against provider and account), new, or
// nullopt without --state.
std::optional<Checkpoint> open_checkpoint(const ListOptions& options, const Stages& stages);
std::optional<Checkpoint> open_checkpoint(const ListOptions& options, const ProviderContext& context);

// The checkpoint's resume point as a request, when the definition offers resuming and the
// point belongs to this query (same filters and settings, same origin); nullopt otherwise.
std::optional<HttpRequest> resume_request(const ProviderSpec& spec, const ListPlan& plan,
                                          const std::optional<Checkpoint>& checkpoint,
                                          Diagnostics& diagnostics);

// Where the listing starts: the resume point, if any, else the plan's first request. From a
// resume point everything the API serves is new: the time no longer filters locally.
HttpRequest first_request(const Stages& stages, ListPlan& plan,
                          const std::optional<Checkpoint>& checkpoint, Diagnostics& diagnostics);
// `resumed`, when given, says whether the resume point was taken.
HttpRequest first_request(const ProviderSpec& spec, ListPlan& plan,
                          const std::optional<Checkpoint>& checkpoint, Diagnostics& diagnostics,
                          bool* resumed = nullptr);

// Where `list` starts, computed once for the run and for --explain: the query, the checkpoint
// of --state (read, never locked), the plan (a checkpoint's time replacing --since), and the
// first request: the plan's, or the API's resume point.
struct ListStart {
  Query query;
  std::optional<Checkpoint> checkpoint;
  ListPlan plan;
  HttpRequest first;
  bool resumed = false; // `first` is the checkpoint's resume point
  // --order names the order the API does not serve and cannot be asked for: list reads the
  // whole listing (the plan without --limit) and prints it backwards.
  bool reverse = false;
};
ListStart start_list(const ProviderContext& context, const ListOptions& options, Timestamp now,
                     Diagnostics& diagnostics);

// -v: one line when the checkpoint of --state replaces the --since asked for (by the flag or
// the profile): where the run starts instead (`from`), or that it resumes from the API's
// saved next request.
void report_state_over_since(Diagnostics& diagnostics, const ListOptions& options,
                             std::optional<Timestamp> from, bool resumed);

// list --parallel N: the slices of the listing `start` describes, in reading order, or why it
// is read one page at a time (SlicedPlan::refusal). Nothing is sent.
SlicedPlan parallel_plan(const ProviderContext& context, const ListOptions& options, const Query& query,
                         const ListPlan& plan, bool resumed, bool with_state, Timestamp now);
// "4 connections over 16 slices of about 1h30m, newest first"
std::string parallel_text(const SlicedPlan& sliced, std::size_t parallel);

// -v: the account's request budget, and how long requests waited on it (when it has a limit
// or held a request).
void report_budget(Diagnostics& diagnostics, const ProviderSpec& spec, const RateBudget& budget);

// The resume point to keep after `page` was delivered, for definitions that offer one.
std::optional<ResumePoint> resume_point(const Stages& stages, const ListPlan& plan,
                                        const std::optional<HttpRequest>& continuation);

} // namespace auditfetch
