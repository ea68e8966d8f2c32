#include "stages.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/activity/activity.hpp"
#include "auditfetch/provider/actions.hpp"
#include "auditfetch/util/env.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/suggest.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace auditfetch {

void warn_unknown_actions(const ProviderSpec& spec, const std::vector<std::string>& actions,
                          Diagnostics& diagnostics) {
  if (spec.actions.empty() || !spec.mapping.action_key.empty())
    return;
  std::vector<std::string> known(std::begin(k_unified_actions), std::end(k_unified_actions));
  for (const auto& rule : spec.actions)
    if (rule.pattern.find('*') == std::string::npos &&
        std::find(known.begin(), known.end(), rule.pattern) == known.end())
      known.push_back(rule.pattern);
  for (const auto& action : actions) {
    if (is_unified_action(action) || unified_action(spec, action) ||
        std::any_of(spec.actions.begin(), spec.actions.end(), [&](const ActionRule& rule) {
          return glob_match(rule.pattern, action, spec.actions_case_insensitive);
        }))
      continue;
    const auto nearest = nearest_names(action, known, 3);
    diagnostics.warning(fmt::format(
        "--action {}: neither a unified action nor a known {} action; sent as it is{}", action, spec.name,
        nearest.empty() ? fmt::format(" (see 'auditfetch providers {}')", spec.name)
                        : fmt::format(" (nearest known: {})", fmt::join(nearest, ", "))));
  }
}

RunBasis resolve_run(const CommonOptions& options, const Registry& registry,
                     Environment& environment, Shape shape, bool read_credentials) {
  RunBasis basis;
  if (options.provider.empty())
    throw Error(ErrorKind::usage, "no provider given",
                "pass -p NAME, set AUDITFETCH_PROVIDER or use a config profile with a provider "
                "(see 'auditfetch providers')");
  const auto& spec = registry.find(options.provider);
  basis.context =
      resolve_context(spec, options.settings, options.base_url, environment.env, &options.profile);

  auto& writer_options = basis.writer;
  writer_options.format = options.output ? parse_format(*options.output)
                          : environment.stdout_is_terminal ? Format::table
                                                           : Format::ndjson;
  if (options.fields)
    writer_options.fields = parse_fields(*options.fields);
  writer_options.single_object = shape == Shape::single_object;
  writer_options.detail = shape != Shape::stream && !options.output && environment.stdout_is_terminal;
  // Off a terminal (a file, a pipe, a pager) and with --wide the table shortens nothing.
  writer_options.terminal_width =
      environment.stdout_is_terminal && !options.wide ? environment.terminal_width : 0;
  writer_options.headers = !options.no_headers;
  writer_options.source = options.source_key;
  const auto color = options.color.value_or("auto");
  if (color != "auto" && color != "always" && color != "never")
    throw Error(ErrorKind::usage, fmt::format("--color: unknown value '{}'", color),
                "use auto, always or never");
  const auto term = environment.env("TERM");
  writer_options.zone = zone_of(options);
  writer_options.color = writer_options.format == Format::table &&
                         (color == "always" || (color == "auto" && environment.stdout_is_terminal &&
                                                !environment.env("NO_COLOR") && term != "dumb"));
  basis.map.remote_data = !options.no_remote_data;

  auto& transport_options = basis.transport;
  transport_options.timeout = parse_duration(options.timeout, "--timeout");
  if (transport_options.timeout.count() <= 0)
    throw Error(ErrorKind::usage, "--timeout must be more than 0");
  if (options.retries < 0)
    throw Error(ErrorKind::usage, "--retries must be 0 or more");
  if (options.ca_file)
    transport_options.ca_file = *options.ca_file;
  transport_options.user_agent = "auditfetch/" AUDITFETCH_VERSION;
  read_proxy_environment(transport_options);

  const CredentialFlags credential_flags{options.token_file, options.token_url, &options.profile};
  basis.credentials = resolve_credentials(spec.name, spec.auth, credential_flags, basis.context.vars,
                                          environment.env, read_credentials);
  if (!basis.credentials.passed_over.empty() && environment.diagnostics)
    environment.diagnostics->verbose(
        fmt::format("{}: {} set but not used: the credentials of profile {} come first", spec.name,
                    fmt::join(basis.credentials.passed_over, ", "), options.profile.name));

  // The settings the chosen scheme's own templates need ("{email}/token"): named here, with
  // where they can come from, before anything is sent.
  for (const auto& name : spec.auth[basis.credentials.scheme]->needs().settings)
    if (!basis.context.vars.count(name)) {
      const auto* setting = spec.setting(name);
      throw Error(ErrorKind::usage,
                  fmt::format("{}: credentials from {} also need --{}", spec.name,
                              basis.credentials.credentials.source, name),
                  setting && !setting->env.empty()
                      ? fmt::format("pass --{} or set {}", name, fmt::join(setting->env, " or "))
                      : fmt::format("pass --{}", name));
    }

  basis.policy.retries = options.retries;
  basis.policy.rate_limit = spec.rate_limit;
  basis.rate = options.rate ? parse_rate(*options.rate, "--rate") : spec.rate_limit.budget;
  return basis;
}

std::unique_ptr<Stages> make_stages(const CommonOptions& options, const Registry& registry,
                                    Environment& environment, Shape shape) {
  auto basis = resolve_run(options, registry, environment, shape, true);
  auto stages = std::make_unique<Stages>();
  stages->context = std::move(basis.context);
  stages->map_options = basis.map;
  const auto& spec = stages->spec();
  auto& resolved = basis.credentials;
  if (environment.budget_for) {
    auto account = fmt::format("{} {}", spec.name, stages->context.base_url);
    for (const auto& [name, value] : account_of(stages->context))
      account += fmt::format(" {}={}", name, value);
    stages->budget = environment.budget_for(account, basis.rate);
  } else {
    stages->budget = std::make_shared<RateBudget>(basis.rate);
  }
  stages->transport = environment.make_transport(basis.transport);
  stages->http = std::make_unique<HttpClient>(*stages->transport, *environment.diagnostics, basis.policy);
  stages->http->set_budget(stages->budget.get());
  stages->authorizer =
      spec.auth[resolved.scheme]->authorizer(resolved.credentials, stages->context.vars, *stages->http);
  // More connections to the same account (list --parallel): each its own transport, client and
  // authorizer, all drawing on the one budget.
  stages->connect = [&stages = *stages, &environment, transport = basis.transport, policy = basis.policy,
                     credentials = resolved.credentials, scheme = resolved.scheme] {
    auto connection = std::make_unique<Connection>();
    connection->transport = environment.make_transport(transport);
    connection->http = std::make_unique<HttpClient>(*connection->transport, *environment.diagnostics, policy);
    connection->http->set_budget(stages.budget.get());
    const auto& spec = stages.spec();
    connection->authorizer = spec.auth[scheme]->authorizer(credentials, stages.context.vars, *connection->http);
    connection->api =
        std::make_unique<ApiSession>(stages.context, *connection->http, *connection->authorizer, credentials);
    return connection;
  };
  stages->api = std::make_unique<ApiSession>(stages->context, *stages->http, *stages->authorizer,
                                             std::move(resolved.credentials));
  stages->sink = std::make_unique<FdSink>(environment.stdout_fd);
  stages->writer = make_writer(basis.writer, *stages->sink);
  return stages;
}

Zone zone_of(const CommonOptions& options) {
  return options.tz ? Zone::named(*options.tz, process_environment()("TZ")) : Zone::utc();
}

Query list_query(const ListOptions& options, Timestamp now) {
  return make_query(options.query, now, zone_of(options.common));
}

std::string joined(const std::vector<std::string>& items) {
  return items.empty() ? "none" : fmt::format("{}", fmt::join(items, ", "));
}

void report_plan(Diagnostics& diagnostics, const ProviderSpec& spec, const Query& query,
                 const ListPlan& plan) {
  diagnostics.verbose(fmt::format("{}: filters pushed down: {}; applied locally: {}", spec.name,
                                  joined(plan.pushed), joined(plan.local)));
  if (!query.since && plan.effective_since)
    diagnostics.verbose(fmt::format("{}: the API needs a time range; without --since reading from {}",
                                    spec.name, format_rfc3339_ms(*plan.effective_since)));
}

namespace {

// list --parallel N cuts the window into this many slices per connection, so that a
// connection done with a quiet slice takes another while a busy one is still being read.
constexpr std::size_t k_slices_per_connection = 2;

// "1d2h", "1h30m", "45m", "30s", "400ms": the largest two units.
std::string span_text(std::chrono::milliseconds span) {
  using namespace std::chrono;
  const auto ms = span.count();
  if (ms < 1000)
    return fmt::format("{}ms", ms);
  const std::pair<long long, const char*> units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
  std::string text;
  long long rest = ms;
  int parts = 0;
  for (const auto& [size, name] : units) {
    if (rest >= size && parts < 2) {
      text += fmt::format("{}{}", rest / size, name);
      rest %= size;
      ++parts;
    } else if (parts > 0) {
      ++parts; // only adjacent units: "1d" rather than "1d0h5m"
    }
  }
  return text;
}

} // namespace

SlicedPlan parallel_plan(const ProviderContext& context, const ListOptions& options, const Query& query,
                         const ListPlan& plan, bool resumed, bool with_state, Timestamp now) {
  return plan_slices(context, query, plan, now, options.parallel * k_slices_per_connection, resumed, with_state);
}

std::string parallel_text(const SlicedPlan& sliced, std::size_t parallel) {
  if (sliced.refusal)
    return fmt::format("one page at a time: {}", *sliced.refusal);
  const auto& first = sliced.slices.front();
  const bool newest_first = sliced.slices.size() > 1 && sliced.slices[0].since > sliced.slices[1].since;
  return fmt::format("{} connections over {} slices of about {}, {} first; a dense slice is cut again",
                     std::min(parallel, sliced.slices.size()), sliced.slices.size(),
                     span_text(std::chrono::duration_cast<std::chrono::milliseconds>(first.until - first.since)),
                     newest_first ? "newest" : "oldest");
}

void report_budget(Diagnostics& diagnostics, const ProviderSpec& spec, const RateBudget& budget) {
  if (!diagnostics.is_verbose())
    return;
  const auto totals = budget.totals();
  if (!budget.limit().requests && totals.waited == 0)
    return; // nothing to say: no limit of its own, and no request held
  const auto limit = budget.limit().requests ? rate_text(budget.limit()) : std::string("none of its own");
  diagnostics.verbose(fmt::format("{}: rate budget {}: {} requests, {} waited, {:.1f} s in all", spec.name, limit,
                                  totals.requests, totals.waited,
                                  static_cast<double>(totals.wait.count()) / 1000.0));
}

std::string order_keeping_text(const ProviderSpec& spec, const Query& query, const ListPlan& plan,
                               std::size_t memory_items) {
  if (!query.order)
    return {};
  const auto wanted = order_of(*query.order);
  const auto name = wanted == Order::newest_first ? "newest first" : "oldest first";
  if (plan.order == wanted && !plan.order_asked.empty())
    return fmt::format("{} (--order): asked of the API with {}", name, plan.order_asked);
  if (plan.order == wanted)
    return fmt::format("{} (--order): as the API serves it", name);
  return fmt::format("{} (--order): the API serves {} and {} cannot ask for {}; reversed here once the "
                     "listing is read, in memory up to {} activities, past that in a temporary file",
                     name, plan.order == Order::newest_first ? "newest first" : "oldest first", spec.name,
                     name, memory_items);
}

std::optional<Checkpoint> open_checkpoint(const ListOptions& options, const Stages& stages) {
  return open_checkpoint(options, stages.context);
}

std::optional<Checkpoint> open_checkpoint(const ListOptions& options, const ProviderContext& context) {
  if (!options.state)
    return std::nullopt;
  const auto account = account_of(context);
  if (auto loaded = load_checkpoint(*options.state, context.spec->name, account))
    return loaded;
  Checkpoint fresh;
  fresh.provider = context.spec->name;
  fresh.account = account;
  return fresh;
}

std::optional<HttpRequest> resume_request(const ProviderSpec& spec, const ListPlan& plan,
                                          const std::optional<Checkpoint>& checkpoint,
                                          Diagnostics& diagnostics) {
  if (!spec.list.resume || !checkpoint || !checkpoint->resume)
    return std::nullopt;
  // A window that ends (--until) starts from its time: the API's continuation reads on to now.
  if (plan.effective_until && !spec.list.window.required) {
    diagnostics.verbose(fmt::format("{}: --until bounds this run; starting from the time, not the saved "
                                    "resume point",
                                    spec.name));
    return std::nullopt;
  }
  const auto& point = *checkpoint->resume;
  if (point.query != plan.fingerprint) {
    diagnostics.verbose(fmt::format("{}: the saved resume point belongs to other filters or "
                                    "settings; starting from the time instead",
                                    spec.name));
    return std::nullopt;
  }
  try {
    if (origin_of(point.url) != origin_of(plan.first.url)) {
      diagnostics.verbose(fmt::format("{}: the saved resume point is on another origin; starting "
                                      "from the time instead",
                                      spec.name));
      return std::nullopt;
    }
  } catch (const Error&) {
    return std::nullopt;
  }
  HttpRequest request = plan.first;
  request.method = point.method;
  request.url = point.url;
  request.body = point.body;
  diagnostics.verbose(fmt::format("{}: resuming from the API's resume point {}", spec.name,
                                  redact_url(point.url)));
  return request;
}

HttpRequest first_request(const Stages& stages, ListPlan& plan,
                          const std::optional<Checkpoint>& checkpoint, Diagnostics& diagnostics) {
  return first_request(stages.spec(), plan, checkpoint, diagnostics);
}

HttpRequest first_request(const ProviderSpec& spec, ListPlan& plan,
                          const std::optional<Checkpoint>& checkpoint, Diagnostics& diagnostics,
                          bool* resumed_out) {
  auto resumed = resume_request(spec, plan, checkpoint, diagnostics);
  if (resumed_out)
    *resumed_out = resumed.has_value();
  if (!resumed)
    return plan.first;
  plan.filter.since.reset();
  return std::move(*resumed);
}

ListStart start_list(const ProviderContext& context, const ListOptions& options, Timestamp now,
                     Diagnostics& diagnostics) {
  const auto& spec = *context.spec;
  ListStart start;
  auto& query = start.query;
  auto& checkpoint = start.checkpoint;
  query = list_query(options, now);
  query.order_here = options.order_here;
  const auto overlap = parse_duration(options.overlap, "--overlap");
  checkpoint = open_checkpoint(options, context);
  query.keeps_continuation = checkpoint && spec.list.resume;
  // A checkpoint takes precedence over --since: the run starts where the last one stopped.
  if (checkpoint && checkpoint->high_water)
    query.since = checkpoint->resume_from(overlap);
  // Reversing here reads everything: --limit then cuts the output, not the listing.
  start.reverse = reverses_order(spec, query);
  Query planned = query;
  if (start.reverse)
    planned.limit.reset();
  start.plan = plan_list(context, planned, now);
  start.first = first_request(spec, start.plan, checkpoint, diagnostics, &start.resumed);
  if (checkpoint && (checkpoint->high_water || start.resumed))
    report_state_over_since(diagnostics, options, query.since, start.resumed);
  if (checkpoint && !checkpoint->high_water)
    checkpoint->floor = start.plan.effective_since;
  return start;
}

void report_state_over_since(Diagnostics& diagnostics, const ListOptions& options,
                             std::optional<Timestamp> from, bool resumed) {
  if (!options.query.since || !options.state)
    return;
  const auto asked = options.common.given.count("since")
                         ? "--since " + *options.query.since
                         : fmt::format("since {} of profile {}", *options.query.since,
                                       options.common.profile.name);
  diagnostics.verbose(
      resumed ? fmt::format("--state {} takes precedence over {}: resuming from the next request "
                            "saved there",
                            *options.state, asked)
      : from  ? fmt::format("--state {} takes precedence over {}: starting at {} (its newest time "
                            "minus --overlap {})",
                            *options.state, asked, format_rfc3339_ms(*from), options.overlap)
              : fmt::format("--state {} takes precedence over {}", *options.state, asked));
}

std::optional<ResumePoint> resume_point(const Stages& stages, const ListPlan& plan,
                                        const std::optional<HttpRequest>& continuation) {
  if (!stages.spec().list.resume || !continuation)
    return std::nullopt;
  // The continuation of a window that ends (--until) stays bounded by it (1Password's cursor
  // keeps its end_time, Okta's link its until): a later run must not resume there.
  if (plan.effective_until && !stages.spec().list.window.required)
    return std::nullopt;
  return ResumePoint{continuation->method, continuation->url, continuation->body, plan.fingerprint};
}

} // namespace auditfetch
