#include "merged.hpp"

#include "auditfetch/commands/diagnostics.hpp"
#include "auditfetch/commands/profile.hpp"
#include "auditfetch/commands/progress.hpp"
#include "auditfetch/pipeline/merge.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/interrupt.hpp"
#include "delivery.hpp"
#include "explain.hpp"
#include "reverse.hpp"
#include "stages.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

namespace auditfetch {
namespace {

// Activities a source may have read ahead of the merged output, in bytes of their encoding.
constexpr std::size_t k_source_memory = 8 << 20;

// A source's diagnostics, each line naming the source.
class SourceDiagnostics final : public Diagnostics {
public:
  SourceDiagnostics(Diagnostics& base, std::string name) : m_base(base), m_name(std::move(name)) {}
  void verbose(const std::string& line) override { m_base.verbose(m_name + ": " + line); }
  void warning(const std::string& line) override { m_base.warning(m_name + ": " + line); }
  bool is_verbose() const override { return m_base.is_verbose(); }

private:
  Diagnostics& m_base;
  std::string m_name;
};

// Where a source's `list` writes: into the merge. A page is delivered (end_page) once the
// merged output has printed it, so the source's checkpoint never runs ahead of the output.
// The merge gone (--limit reached, a signal, a closed pipe): the source stops as a listing
// whose reader went away does, without saving its checkpoint.
template <class Hub>
class FeedWriter final : public Writer {
public:
  FeedWriter(Hub& hub, std::size_t index) : m_hub(hub), m_index(index) {}
  void begin() override {}
  void write(const Activity& activity) override {
    try {
      m_hub.put(m_index, activity.created_at.value_or(Timestamp::min()), encode_activity(activity));
    } catch (const MergeClosed&) {
      throw BrokenPipe{};
    }
  }
  void end_page() override {
    try {
      m_hub.wait_printed(m_index);
    } catch (const MergeClosed&) {
      throw BrokenPipe{};
    }
  }
  void finish() override {}

private:
  Hub& m_hub;
  std::size_t m_index;
};

// A source name becomes a file name under --state-dir and a value in every activity.
void check_source_name(const std::string& name) {
  const bool valid = !name.empty() && name.front() != '.' && name.size() <= 64 &&
                     name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                         std::string::npos;
  if (!valid)
    throw Error(ErrorKind::usage, fmt::format("source name '{}' is not usable as a file name", name),
                "use letters, digits, '.', '_' and '-' (up to 64, not starting with '.')");
}

void check_merged_options(const ListOptions& options, const char* command) {
  if (options.exec)
    throw Error(ErrorKind::usage, "--exec delivers one source: it cannot be used with several sources",
                fmt::format("run one `{} --exec` per source, each with its own --state", command));
  if (options.state)
    throw Error(ErrorKind::usage, "--state names one file, but this run reads several sources",
                "use --state-dir DIR: one state file per source, named after it");
  if (options.parallel > 1)
    throw Error(ErrorKind::usage, "--parallel slices one source: it cannot be used with several sources",
                "backfill each source with its own `list --parallel N`");
  if (options.query.limit && options.state_dir)
    throw Error(ErrorKind::usage,
                "--limit cuts the merged stream, which leaves no point each source could resume from: "
                "it cannot be used with --state-dir",
                "leave out --limit, or --state-dir");
  if (options.query.order && *options.query.order != "newest" && *options.query.order != "oldest")
    throw Error(ErrorKind::usage, "--order: '" + *options.query.order + "' is not an order",
                "use --order newest or --order oldest");
  for (std::size_t i = 0; i < options.sources.size(); ++i) {
    check_source_name(options.sources[i].name);
    for (std::size_t j = 0; j < i; ++j)
      if (options.sources[i].name == options.sources[j].name)
        throw Error(ErrorKind::usage, fmt::format("source '{}' is named twice", options.sources[i].name),
                    "name each source once (--source NAME=PROFILE gives one profile several names)");
  }
}

enum class Command { list, tail, verify };

// A source's own options: the command line's, its profile beneath them, its own settings as
// if given as flags, its state file under --state-dir. `interval` is tail's (the profile's
// interval fills it).
ListOptions source_options(const ListOptions& merged, const NamedSource& source, const Registry& registry,
                           Environment& environment, Command command, std::string* interval = nullptr) {
  ListOptions o = merged;
  o.sources.clear();
  o.state_dir.reset();
  o.count = false;
  o.merged_source = source.name;
  o.common.source_key = true;
  o.common.profile_name = source.profile;
  o.common.profile_names.clear();
  for (const auto& [key, value] : source.settings) {
    o.common.settings[key] = value;
    o.common.given.insert(key);
  }
  // list: each source prints in the merged order, asked of its API or reversed here. With
  // --state-dir each keeps its API's order and continuation, and is reversed here when it
  // serves the other one. tail prints each poll oldest first whatever the API's order.
  if (command == Command::list) {
    o.query.order = merged.query.order.value_or("newest");
    o.order_here = merged.state_dir.has_value();
  }
  // --state-dir, a flag, comes before a `state` of the profile (without it, that file is the
  // source's checkpoint).
  if (merged.state_dir) {
    o.state = (std::filesystem::path(*merged.state_dir) / (source.name + ".json")).string();
    o.common.given.insert("state");
  }
  try {
    use_config(o.common, &o, interval, registry, environment);
    if (o.common.provider.empty())
      throw Error(ErrorKind::usage, fmt::format("profile '{}' names no provider", source.profile),
                  "add provider = \"NAME\" to the profile, or pass -p NAME");
    check_delivery_options(o);
  } catch (const Error& e) {
    throw e.with_context("source " + source.name);
  }
  return o;
}

// What list and tail over several sources share: each source's options, checked and resolved
// before anything is sent (a usage error in one is the run's, exit 2, not a failed source);
// the merged output, as the first source's options describe it, with the `source` key; and a
// thread per source, its failure kept under its name.
class MergedRun {
public:
  MergedRun(std::vector<ListOptions> sources, const Registry& registry, Environment& environment,
            const std::optional<std::string>& state_dir, bool discard)
      : m_sources(std::move(sources)), m_sink(environment.stdout_fd), m_failures(m_sources.size()) {
    std::vector<RunBasis> bases;
    for (const auto& source : m_sources)
      try {
        bases.push_back(resolve_run(source.common, registry, environment, Shape::stream, false));
      } catch (const Error& e) {
        throw e.with_context("source " + source.merged_source);
      }
    if (state_dir)
      std::filesystem::create_directories(*state_dir);
    auto writer_options = bases.front().writer; // with the `source` key (source_options)
    writer_options.discard = discard;
    m_writer = make_writer(writer_options, m_sink);
    for (const auto& source : m_sources) {
      m_diagnostics.push_back(std::make_unique<SourceDiagnostics>(*environment.diagnostics, source.merged_source));
      auto& env = m_environments.emplace_back(environment);
      env.diagnostics = m_diagnostics.back().get();
      env.stdout_is_terminal = false; // no progress line per source
      // Sources that read the same account draw on one budget (the first one's limit).
      env.budget_for = [this](const std::string& account, const RateLimit& limit) {
        std::lock_guard lock(m_budgets_mutex);
        auto& budget = m_budgets[account];
        if (!budget)
          budget = std::make_shared<RateBudget>(limit);
        return budget;
      };
    }
  }
  MergedRun(const MergedRun&) = delete;
  MergedRun& operator=(const MergedRun&) = delete;
  ~MergedRun() { join(); }

  std::size_t size() const { return m_sources.size(); }
  Sink& sink() { return m_sink; }
  Writer& writer() { return *m_writer; }
  const std::vector<std::optional<Error>>& failures() const { return m_failures; }

  // Run `body(i, environment)` for every source in its own thread, then `after(i)`, also after a
  // failure (kept, named after the source; a closed merge is no failure).
  void start(const std::function<void(std::size_t, Environment&)>& body, const std::function<void(std::size_t)>& after) {
    for (std::size_t i = 0; i < m_sources.size(); ++i)
      m_threads.emplace_back([this, i, body, after] {
        const auto& name = m_sources[i].merged_source;
        try {
          body(i, m_environments[i]);
        } catch (const BrokenPipe&) {
        } catch (const Error& e) {
          m_failures[i] = e.with_context(name);
        } catch (const std::exception& e) {
          m_failures[i] = Error(ErrorKind::remote, fmt::format("{}: internal error: {}", name, e.what()),
                                "please report this with the command line (without secrets)");
        }
        after(i);
      });
  }

  void join() {
    for (auto& thread : m_threads)
      if (thread.joinable())
        thread.join();
  }

  // The activity an encoded one stands for, named after its source; valid until the next call.
  const Activity& decoded(std::size_t source, std::string_view bytes) {
    m_activity = decode_activity(bytes, m_document);
    m_activity.source = m_sources[source].merged_source;
    return m_activity;
  }

private:
  std::vector<ListOptions> m_sources;
  FdSink m_sink;
  std::unique_ptr<Writer> m_writer;
  std::vector<std::unique_ptr<SourceDiagnostics>> m_diagnostics;
  std::vector<Environment> m_environments;
  std::vector<std::optional<Error>> m_failures;
  std::vector<std::thread> m_threads;
  std::optional<JsonDocument> m_document;
  Activity m_activity;
  std::mutex m_budgets_mutex;
  std::map<std::string, std::shared_ptr<RateBudget>> m_budgets;
};

// tail of several sources on the progress line: what was printed, and which sources are failing
// (their last poll failed, or they stopped). Updated from the sources' threads and the reader's.
class SourcesStatus {
public:
  SourcesStatus(const std::vector<ListOptions>& sources, bool enabled)
      : m_progress(enabled), m_failing(sources.size(), false) {
    for (const auto& source : sources)
      m_names.push_back(source.merged_source);
  }
  void source(std::size_t i, bool healthy) {
    std::lock_guard lock(m_mutex);
    m_failing[i] = !healthy;
    draw();
  }
  // Reader only, between shows.
  void printed(const std::optional<Timestamp>& at) {
    std::lock_guard lock(m_mutex);
    ++m_printed;
    if (at && (!m_newest || *at > *m_newest))
      m_newest = at;
  }
  void show() {
    std::lock_guard lock(m_mutex);
    draw();
  }

private:
  void draw() {
    if (!m_progress.enabled())
      return;
    std::vector<std::string> failing;
    for (std::size_t i = 0; i < m_names.size(); ++i)
      if (m_failing[i])
        failing.push_back(m_names[i]);
    m_progress.status(format_sources_status(m_names.size(), m_printed, m_newest, failing));
  }

  std::mutex m_mutex;
  Progress m_progress;
  std::vector<std::string> m_names;
  std::vector<bool> m_failing;
  std::size_t m_printed = 0;
  std::optional<Timestamp> m_newest;
};

// Every source read, or the failures: exit 0; one code when every source failed the same way;
// else 1 (some sources were printed, others not). Interrupted sources are not failures.
int failures_exit(const std::vector<std::optional<Error>>& failures) {
  std::optional<ErrorKind> kind;
  std::size_t failed = 0;
  for (const auto& failure : failures) {
    if (!failure || failure->kind() == ErrorKind::interrupted)
      continue;
    ++failed;
    kind = !kind || *kind == failure->kind() ? failure->kind() : ErrorKind::remote;
  }
  if (failed == 0)
    return k_exit_ok;
  return exit_code(failed == failures.size() ? *kind : ErrorKind::remote);
}

// --explain: each source's plan, in order.
const std::string& source_name(const ListOptions& options) { return options.merged_source; }
const std::string& source_name(const VerifyOptions& options) { return options.list.merged_source; }

template <class Options, class Explain>
int explain_sources(const std::vector<Options>& sources, Explain&& explain) {
  for (std::size_t i = 0; i < sources.size(); ++i)
    try {
      explain(i);
    } catch (const Error& e) {
      throw e.with_context("source " + source_name(sources[i]));
    }
  return k_exit_ok;
}

} // namespace

int run_merged_list(const ListOptions& options, const Registry& registry, Environment& environment) {
  check_merged_options(options, "list");
  std::vector<ListOptions> sources;
  for (const auto& source : options.sources)
    sources.push_back(source_options(options, source, registry, environment, Command::list));
  if (options.common.explain)
    return explain_sources(sources, [&](std::size_t i) { explain_list(sources[i], registry, environment); });

  MergedRun run(sources, registry, environment, options.state_dir, options.count);
  MergeHub hub(run.size(), options.query.order.value_or("newest") == "newest", k_source_memory);
  run.start(
      [&](std::size_t i, Environment& env) {
        run_list_into(sources[i], registry, env, std::make_unique<FeedWriter<MergeHub>>(hub, i));
      },
      [&](std::size_t i) { hub.finish(i); });
  std::size_t printed = 0;
  try {
    run.writer().begin();
    hub.drain(
        [&](std::size_t source, std::string_view bytes) {
          run.writer().write(run.decoded(source, bytes));
          ++printed;
          return !options.query.limit || printed < *options.query.limit;
        },
        [&] { run.writer().end_page(); }, [] { return interrupted(); });
    run.writer().finish();
  } catch (...) {
    hub.close();
    run.join();
    throw;
  }
  hub.close(); // --limit reached: the sources still reading stop
  run.join();
  if (interrupted())
    throw Error(ErrorKind::interrupted, fmt::format("interrupted after {} activities", printed));
  for (const auto& failure : run.failures())
    if (failure)
      StderrDiagnostics::error(failure->what(), failure->hint());
  if (options.count) {
    run.sink().write(fmt::format("{}\n", printed));
    run.sink().flush();
  }
  environment.diagnostics->verbose(fmt::format("{} activities from {} sources", printed, run.size()));
  return failures_exit(run.failures());
}

int run_merged_tail(const TailOptions& options, const Registry& registry, Environment& environment) {
  check_merged_options(options.list, "tail");
  std::vector<TailOptions> tails;
  std::vector<ListOptions> sources;
  auto longest = std::chrono::milliseconds{0};
  for (const auto& source : options.list.sources) {
    auto& tail = tails.emplace_back(options);
    tail.list = source_options(options.list, source, registry, environment, Command::tail, &tail.interval);
    sources.push_back(tail.list);
    try {
      longest = std::max(longest, parse_duration(tail.interval, "--interval"));
    } catch (const Error& e) {
      throw e.with_context("source " + source.name);
    }
  }
  const auto max_delay = options.max_delay ? parse_duration(*options.max_delay, "--max-delay") : 2 * longest;
  if (max_delay.count() < 0)
    throw Error(ErrorKind::usage, "--max-delay must not be negative");
  if (options.list.common.explain)
    return explain_sources(sources, [&](std::size_t i) { run_tail_into(tails[i], registry, environment, nullptr, nullptr); });

  MergedRun run(sources, registry, environment, options.list.state_dir, false);
  environment.diagnostics->verbose(
      fmt::format("{} sources; an activity waits at most {} ms for the others", run.size(), max_delay.count()));
  TailMerge merge(run.size(), max_delay);
  SourcesStatus status(sources, progress_wanted(environment.stdout_is_terminal, options.list.common.quiet));
  std::vector<TailHooks> hooks;
  for (std::size_t i = 0; i < run.size(); ++i)
    hooks.push_back({[&merge, &status, i](Timestamp through) {
                       merge.polled(i, through);
                       status.source(i, true);
                     },
                     [&status, i](const std::string&) { status.source(i, false); }});
  run.start(
      [&](std::size_t i, Environment& env) {
        run_tail_into(tails[i], registry, env, std::make_unique<FeedWriter<TailMerge>>(merge, i), &hooks[i]);
      },
      [&](std::size_t i) {
        // A source that failed for good is reported at once; the others go on.
        const auto& failure = run.failures()[i];
        if (failure && failure->kind() != ErrorKind::interrupted) {
          StderrDiagnostics::error(failure->what(), failure->hint());
          status.source(i, false);
        }
        merge.finish(i);
      });
  try {
    run.writer().begin();
    merge.drain(
        [&](std::size_t source, std::string_view bytes) {
          const auto& activity = run.decoded(source, bytes);
          run.writer().write(activity);
          status.printed(activity.created_at);
        },
        [&] {
          run.writer().end_page();
          status.show();
        },
        [] { return interrupted(); });
    run.writer().finish();
  } catch (...) {
    // The output failed (a closed pipe): stop every source, then let the error out.
    merge.close();
    request_interrupt(SIGTERM);
    run.join();
    throw;
  }
  run.join();
  if (interrupted() && interrupt_signal() != SIGTERM)
    return exit_code(ErrorKind::interrupted);
  return failures_exit(run.failures());
}

int run_merged_verify(const VerifyOptions& options, const Registry& registry, Environment& environment) {
  check_merged_options(options.list, "verify");
  std::vector<VerifyOptions> sources;
  for (const auto& source : options.list.sources) {
    auto& verify = sources.emplace_back(options);
    verify.list = source_options(options.list, source, registry, environment, Command::verify);
  }
  if (options.list.common.explain)
    return explain_sources(sources, [&](std::size_t i) { run_verify(sources[i], registry, environment); });
  // Each source reads the files again; standard input can be read once.
  if (options.files.empty() || std::find(options.files.begin(), options.files.end(), "-") != options.files.end())
    throw Error(ErrorKind::usage, "verify reads the files once for each source, which standard input cannot give",
                "name the files: the NDJSON auditfetch printed, each line with its source");
  // One source after the other, each compared with the lines that name it; a source that
  // fails does not stop the others.
  std::vector<std::optional<Error>> failures;
  for (const auto& verify : sources) {
    SourceDiagnostics diagnostics(*environment.diagnostics, verify.list.merged_source);
    auto env = environment;
    env.diagnostics = &diagnostics;
    auto& failure = failures.emplace_back();
    try {
      run_verify(verify, registry, env);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::interrupted)
        throw e.with_context(verify.list.merged_source);
      failure = e.with_context(verify.list.merged_source);
      StderrDiagnostics::error(failure->what(), failure->hint());
    }
  }
  // Missing or repeated activities and nothing worse: 5, whatever the other sources found.
  const bool any = std::any_of(failures.begin(), failures.end(), [](const auto& f) { return f.has_value(); });
  const bool only_incomplete = std::all_of(failures.begin(), failures.end(), [](const auto& f) {
    return !f || f->kind() == ErrorKind::incomplete;
  });
  if (any && only_incomplete)
    return exit_code(ErrorKind::incomplete);
  return failures_exit(failures);
}

} // namespace auditfetch
