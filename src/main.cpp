// auditfetch: parse, dispatch, catch, exit code.
#include "auditfetch/cli/cli.hpp"
#include "auditfetch/commands/diagnostics.hpp"
#include "auditfetch/commands/process_io.hpp"
#include "auditfetch/output/writer.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/interrupt.hpp"

#include <csignal>

#ifdef __GLIBC__
#include <malloc.h>
#endif

using namespace auditfetch;

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
    const auto parsed = parse_command_line(args, registry);
    if (parsed->exit_now)
      return *parsed->exit_now;
    return parsed->run(environment, diagnostics);
  } catch (const BrokenPipe&) {
    return k_exit_ok; // the reader went away (`| head`): not our failure
  } catch (const Error& e) {
    StderrDiagnostics::error(e.what(), e.hint());
    // Every helper thread was joined before the error got here (run_pages), so unwinding and
    // a normal exit are safe. SIGTERM is the normal way to stop: 0.
    if (e.kind() == ErrorKind::interrupted && interrupt_signal() == SIGTERM)
      return k_exit_ok;
    return exit_code(e.kind());
  } catch (const std::exception& e) {
    StderrDiagnostics::error(std::string("internal error: ") + e.what(),
                             "please report this with the command line (without secrets)");
    return 1;
  }
}
