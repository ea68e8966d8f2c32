#include "auditfetch/commands/verify.hpp"

#include "auditfetch/commands/progress.hpp"
#include "auditfetch/pipeline/page_loop.hpp"
#include "auditfetch/pipeline/verify.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/interrupt.hpp"
#include "explain.hpp"
#include "merged.hpp"
#include "stages.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include <unistd.h>

namespace auditfetch {
namespace {

// What verify cannot prove, refused before anything is read or sent: activities without an
// id, and an API whose pages cannot be bounded to the window (decided by the definition's
// paging style, for every provider alike).
void check_verifiable(const ProviderSpec& spec) {
  if (spec.mapping.id.empty())
    throw Error(ErrorKind::usage, fmt::format("verify: {} activities have no id to compare by", spec.name),
                "give the definition's mapping an id; a hash of the record's fields will do");
  if (const auto reason = spec.list.paging->inexact_window(); !reason.empty())
    throw Error(ErrorKind::usage,
                fmt::format("verify: {} cannot list a closed window exactly: {}", spec.name, reason),
                "compare a listing by hand: auditfetch list --since A --until B");
}

// The filter flags, checked: a window with both ends, and no --limit (a profile's is ignored).
QueryOptions verify_query(const VerifyOptions& options) {
  auto query = options.list.query;
  if (!query.since || !query.until)
    throw Error(ErrorKind::usage, "verify needs --since and --until: the window [since, until) to compare",
                "give the times the files were listed with, e.g. --since 2024-05-01T00:00:00Z "
                "--until 2024-05-02T00:00:00Z");
  query.limit.reset();
  return query;
}

// verify prints NDJSON (what it reads and what a file it repairs holds); -o picks the form of
// the plan with --explain. A profile's output format does not apply.
CommonOptions verify_common(const VerifyOptions& options) {
  auto common = options.list.common;
  const bool given = common.given.count("output") > 0;
  if (common.explain) {
    if (!given)
      common.output.reset();
  } else {
    if (given && common.output && *common.output != "ndjson")
      throw Error(ErrorKind::usage,
                  fmt::format("verify prints the missing activities as NDJSON, the form it reads; -o {} "
                              "does not apply",
                              *common.output),
                  "leave out -o, or use -o ndjson");
    common.output = "ndjson";
  }
  return common;
}

std::string account_text(const ProviderContext& context) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : account_of(context))
    parts.push_back(fmt::format("{}={}", name, value));
  return parts.empty() ? context.spec->name : fmt::format("{} {}", context.spec->name, fmt::join(parts, " "));
}

int explain_verify(const VerifyOptions& options, const CommonOptions& common, const Registry& registry,
                   Environment& environment) {
  const auto basis = resolve_run(common, registry, environment, Shape::stream, false);
  const auto now = environment.now();
  const auto query = make_query(verify_query(options), now, zone_of(common));
  const auto plan = plan_list(basis.context, query, now);
  Explanation e;
  e.command = "verify";
  e.basis = &basis;
  e.first = plan.first;
  e.plan = &plan;
  e.query = &query;
  e.since_source = "--since";
  boost::json::array files;
  for (const auto& file : options.files)
    files.emplace_back(file);
  const auto sources = options.files.empty() ? std::string("standard input")
                                             : fmt::format("{}", fmt::join(options.files, ", "));
  if (!options.list.merged_source.empty())
    e.facts.push_back({"source", fmt::format("{} (profile {})", options.list.merged_source, common.profile.name),
                       boost::json::value(options.list.merged_source)});
  e.facts.push_back({"compares",
                     fmt::format("by id with the activities of {} in {} (not read now)", account_text(basis.context),
                                 sources),
                     boost::json::object{{"files", files}, {"print_missing", options.print_missing}}});
  e.facts.push_back({"prints",
                     options.print_missing
                         ? "the missing activities on standard output as NDJSON; the summary on standard error"
                         : "the summary on standard error; exit status 5 when one is missing or duplicated",
                     boost::json::value(options.print_missing ? "missing" : "summary")});
  return print_explanation(e, common, environment);
}

} // namespace

int run_verify(const VerifyOptions& options, const Registry& registry, Environment& environment) {
  if (!options.list.sources.empty())
    return run_merged_verify(options, registry, environment);
  const auto common = verify_common(options);
  // Before any credential is read (a command may run for it) or file opened.
  if (!common.provider.empty())
    check_verifiable(registry.find(common.provider));
  if (common.explain)
    return explain_verify(options, common, registry, environment);
  const auto query_options = verify_query(options);
  // Standard input is read once: for the token or for the activities, not both.
  if (common.token_file && *common.token_file == "-" &&
      (options.files.empty() || std::find(options.files.begin(), options.files.end(), "-") != options.files.end()))
    throw Error(ErrorKind::usage, "--token-file -: verify reads the activities from standard input",
                "name the files to verify, or give the token another way (--token-file FILE, a variable "
                "or a profile)");
  auto stages = make_stages(common, registry, environment, Shape::stream);
  const auto& spec = stages->spec();
  auto& diagnostics = *environment.diagnostics;
  warn_unknown_actions(spec, query_options.actions, diagnostics);
  const auto now = environment.now();
  const auto query = make_query(query_options, now, zone_of(common));
  const auto plan = plan_list(stages->context, query, now);
  report_plan(diagnostics, spec, query, plan);
  if (*query.until > now)
    diagnostics.warning(fmt::format("verify: --until {} is in the future: activities may still arrive in the window",
                                    format_rfc3339_ms(*query.until)));

  // The files first, by id: then each activity the listing serves is known at once to be
  // missing or not, and --print-missing streams it.
  auto scope = line_scope(stages->context, query);
  // One source of several: its lines are those that name it, and what it prints names it.
  const auto& source = options.list.merged_source;
  if (!source.empty())
    scope.source = source;
  IdTally tally;
  const auto counts = read_activity_files(options.files, STDIN_FILENO, scope, tally);

  std::uint64_t without_id = 0;
  PageLoopOptions loop;
  loop.background = true;
  const auto on_page = [&](Page&, Processed& processed) {
    for (auto& activity : processed.matched()) {
      if (!activity.id) {
        ++without_id;
        continue;
      }
      if (tally.add_served(*activity.id) && options.print_missing) {
        if (!source.empty())
          activity.source = source;
        stages->writer->write(activity);
      }
    }
    stages->writer->end_page();
    return true;
  };
  stages->writer->begin();
  try {
    run_pages(*stages, plan, query, now, plan.first, nullptr, nullptr, loop, on_page);
  } catch (const Error& e) {
    stages->writer->finish();
    throw e.with_context(spec.name);
  } catch (const BrokenPipe&) {
    throw;
  } catch (...) {
    stages->writer->finish();
    throw;
  }
  stages->writer->finish();
  if (interrupted())
    throw Error(ErrorKind::interrupted, "verify: interrupted before the listing was complete");

  const auto totals = tally.totals();
  const auto account = account_text(stages->context);
  if (!options.list.common.quiet) {
    const auto row = [](std::string_view label, std::uint64_t n, std::string_view note = {}) {
      write_stderr_line(fmt::format("auditfetch:   {:<30} {:>9}{}", label, n, note));
    };
    write_stderr_line(fmt::format("auditfetch: verify {}{}, {} to {} (exclusive)",
                                  source.empty() ? "" : fmt::format("source {}: ", source), account,
                                  format_rfc3339_ms(*query.since), format_rfc3339_ms(*query.until)));
    row("served by the API now", totals.served + without_id);
    row("in the files", totals.in_files);
    row("missing", totals.missing);
    row("duplicated", totals.duplicated);
    row("outside the window or filters", totals.outside);
    row("unknown to the API", totals.unknown);
    if (without_id > 0)
      row("served without an id", without_id, " (cannot be compared)");
    row("other lines", counts.not_activities + counts.other_account,
        fmt::format(" (not activities of {}: {} of another provider or account)", account, counts.other_account));
  }
  const auto missing = totals.missing + without_id;
  if (missing > 0 || totals.duplicated > 0) {
    std::vector<std::string> hints;
    if (missing > 0)
      hints.push_back(options.print_missing ? "the missing ones were printed on standard output: append them to the file"
                                            : "--print-missing prints the missing ones as NDJSON: append them "
                                              "to the file with >>");
    if (totals.duplicated > 0)
      hints.push_back("keep one line of each id");
    throw Error(ErrorKind::incomplete,
                fmt::format("verify: {} from {} to {}: {} missing, {} duplicated", account,
                            format_rfc3339_ms(*query.since), format_rfc3339_ms(*query.until), missing,
                            totals.duplicated),
                fmt::format("{}", fmt::join(hints, "; ")));
  }
  return k_exit_ok;
}

} // namespace auditfetch
