#include "auditfetch/commands/process_io.hpp"

#include "auditfetch/util/interrupt.hpp"

#include "auditfetch/http/beast_transport.hpp"

#include <csignal>
#include <cstdlib>
#include <sys/ioctl.h>
#include <unistd.h>

namespace auditfetch {
namespace {

void on_signal(int signal_number) { request_interrupt(signal_number); }

// COLUMNS, when exported, wins (as in Python's shutil and many tools); then the terminal's
// own size; then 80.
std::size_t terminal_width(int fd) {
  if (const char* columns = std::getenv("COLUMNS"))
    if (const auto n = std::strtoul(columns, nullptr, 10); n > 0 && n < 10000)
      return n;
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  return 80;
}

} // namespace

void install_signal_handlers() {
  prepare_interrupt_wakeup();
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

Environment process_io(Diagnostics& diagnostics) {
  Environment environment;
  environment.env = process_environment();
  environment.stdout_fd = 1;
  environment.stdout_is_terminal = ::isatty(1) == 1;
  environment.terminal_width = environment.stdout_is_terminal ? terminal_width(1) : 0;
  environment.diagnostics = &diagnostics;
  environment.make_transport = [](const TransportOptions& options) -> std::unique_ptr<Transport> {
    return std::make_unique<BeastTransport>(options);
  };
  environment.now = now_ms;
  return environment;
}

} // namespace auditfetch
