// auditfetch: parse, dispatch, catch, exit code.
#include "auditfetch/cli/cli.hpp"
#include "auditfetch/cli/diagnostics.hpp"
#include "auditfetch/commands/commands.hpp"
#include "auditfetch/commands/config.hpp"
#include "auditfetch/error.hpp"
#include "auditfetch/http/beast_transport.hpp"
#include "auditfetch/output/writer.hpp"
#include "auditfetch/terminal.hpp"

#include <csignal>
#include <cstdlib>
#include <unistd.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

using namespace auditfetch;

namespace {

int dispatch(ParsedCommandLine& parsed, const Registry& registry, Environment& environment,
             StderrDiagnostics& diagnostics) {
  switch (parsed.command) {
  case Command::list:
    diagnostics.set_verbose(parsed.list.common.verbose);
    diagnostics.set_quiet(parsed.list.common.quiet);
    use_config(parsed.list.common, &parsed.list, nullptr, registry, environment);
    return run_list(parsed.list, registry, environment);
  case Command::get:
    diagnostics.set_verbose(parsed.get.common.verbose);
    diagnostics.set_quiet(parsed.get.common.quiet);
    use_config(parsed.get.common, nullptr, nullptr, registry, environment);
    return run_get(parsed.get, registry, environment);
  case Command::tail:
    diagnostics.set_verbose(parsed.tail.list.common.verbose);
    diagnostics.set_quiet(parsed.tail.list.common.quiet);
    use_config(parsed.tail.list.common, &parsed.tail.list, &parsed.tail.interval, registry,
               environment);
    return run_tail(parsed.tail, registry, environment);
  case Command::providers:
    return run_providers(parsed.providers, registry, environment);
  case Command::config_show:
    diagnostics.set_verbose(parsed.config.common.verbose);
    diagnostics.set_quiet(parsed.config.common.quiet);
    return run_config_show(parsed.config, registry, environment);
  case Command::config_check:
    diagnostics.set_verbose(parsed.config.common.verbose);
    diagnostics.set_quiet(parsed.config.common.quiet);
    return run_config_check(parsed.config, registry, environment);
  case Command::config_profiles:
    return run_config_profiles(parsed.config.common, registry, environment);
  }
  return k_exit_ok;
}

} // namespace

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // Page-sized buffers (bodies, parsed documents) are reused from page to page; from the heap
  // they left it fragmented across threads, and the resident size of a long listing wandered
  // between 23 and 35 MiB. Mapped on their own they stay at their size (bench/README.md).
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  install_signal_handlers();
  StderrDiagnostics diagnostics(false);
  Environment environment = process_io(diagnostics);
  try {
    const std::vector<std::string> args(argv, argv + argc);
    auto registry = Registry::builtin();
    for (const auto& [directory, required] : definition_directories(args, environment.env))
      registry.load_directory(directory, required);
    auto parsed = parse_command_line(args, registry);
    if (parsed.exit_now)
      return *parsed.exit_now;
    return dispatch(parsed, registry, environment, diagnostics);
  } catch (const BrokenPipe&) {
    return k_exit_ok; // the reader went away (`| head`): not our failure
  } catch (const Error& e) {
    StderrDiagnostics::error(e.what(), e.hint());
    // A signal may leave the fetching thread blocked in I/O: leave without unwinding it.
    if (e.kind() == ErrorKind::interrupted)
      std::_Exit(interrupt_signal() == SIGTERM ? 0 : exit_code(e.kind()));
    return exit_code(e.kind());
  } catch (const std::exception& e) {
    StderrDiagnostics::error(std::string("internal error: ") + e.what(),
                             "please report this with the command line (without secrets)");
    return 1;
  }
}
