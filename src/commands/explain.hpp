#pragma once
// --explain: the plan of list, tail, get or verify, printed instead of running it. The plan is
// computed by the functions the command runs with (resolve_run, start_list, plan_list,
// plan_get), so what it shows is what the command would send; but nothing is sent, no secret
// is read (no credentials file, no credentials command, no token request) and a state file is
// read, never locked.

#include "auditfetch/commands/get.hpp"
#include "stages.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace auditfetch {

// One line of a plan beyond what every plan has: "state", "polls", "compares", ...
struct ExplainFact {
  std::string key;
  std::string text;        // human-readable
  boost::json::value json; // under `key` in -o json
};

struct Explanation {
  std::string command; // "list", "tail", "get", "verify"
  const RunBasis* basis = nullptr;
  HttpRequest first;              // the first request, before the credentials are added
  const ListPlan* plan = nullptr; // listings (not get)
  const Query* query = nullptr;   // listings: what was asked, before the provider's defaults
  std::string since_source;       // listings: where the window's start comes from
  std::vector<ExplainFact> facts;
};

// Where a run with --state would start, from the checkpoint as start_list (or tail) read it;
// nullopt without --state.
std::optional<ExplainFact> explain_state(const ListOptions& options,
                                         const std::optional<Checkpoint>& checkpoint,
                                         const ListPlan& plan, bool resumed, const HttpRequest& first);

// Where the window's start comes from, for Explanation::since_source.
std::string since_source(const Query& asked, const std::optional<Checkpoint>& checkpoint, bool resumed,
                         const ListPlan& plan);

// Print the plan on standard output: human-readable, or one JSON object with -o json.
// Returns 0.
int print_explanation(const Explanation& explanation, const CommonOptions& options,
                      Environment& environment);

int explain_list(const ListOptions& options, const Registry& registry, Environment& environment);
int explain_get(const GetOptions& options, const Registry& registry, Environment& environment);

} // namespace auditfetch
