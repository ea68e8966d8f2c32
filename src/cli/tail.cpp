// auditfetch tail
#include "auditfetch/commands/profile.hpp"
#include "options.hpp"

namespace auditfetch::cli {

void setup_tail(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry) {
  auto* sub = &command;
  auto& o = parsed.tail;
  add_common(*sub, o.list.common, registry);
  add_explain(*sub, o.list.common);
  add_filters(*sub, o.list, true); // no --until, no --limit: tail follows
  add_delivery(*sub, o.list);
  sub->add_option("--interval", o.interval, "Time between polls, at least 1s (default 30s)")
      ->option_text("DURATION")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->group("Checkpoint");
  add_sources(*sub, parsed.source_texts, o.list);
  add_optional(*sub, "--max-delay", o.max_delay,
               "Several sources: hold an activity at most this long for the other sources to poll past "
               "its time (default: two intervals)")
      ->option_text("DURATION")
      ->group("Checkpoint");
  sub->footer("Starts at --since (default: 10 minutes ago) or the checkpoint, prints what exists, then polls.\n"
              "SIGINT exits 130 and SIGTERM exits 0, after flushing and saving the checkpoint.\n"
              "Examples:\n"
              "  auditfetch tail -p thousandeyes --aid 1234 --state ~/.local/state/te.json >> te.ndjson\n"
              "  auditfetch tail -p pingone --environment-id ENV --action login_failed -o table\n");
  sub->callback([sub, &parsed, &registry] {
    record_given(*sub, parsed.tail.list.common);
    parsed.command = "tail";
    parsed.run = [&parsed, &registry](Environment& environment, StderrDiagnostics& diagnostics) {
      auto& tail = parsed.tail;
      configure(diagnostics, tail.list.common);
      if (gather_sources(parsed.source_texts, tail.list))
        return run_tail(tail, registry, environment);
      if (tail.max_delay)
        throw Error(ErrorKind::usage, "--max-delay applies to several sources",
                    "name several sources (--profile A --profile B), or leave it out");
      use_config(tail.list.common, &tail.list, &tail.interval, registry, environment);
      return run_tail(tail, registry, environment);
    };
  });
}

} // namespace auditfetch::cli
