#include "auditfetch/cli/diagnostics.hpp"

#include <mutex>
#include <unistd.h>

namespace auditfetch {
namespace {

// Diagnostics come from two threads (fetching and writing); whole lines, never interleaved.
std::mutex g_stderr_mutex;

void write_line(const std::string& line) {
  std::lock_guard lock(g_stderr_mutex);
  const std::string text = line + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(2, text.data() + done, text.size() - done);
    if (n <= 0)
      return;
    done += static_cast<std::size_t>(n);
  }
}

} // namespace

void StderrDiagnostics::verbose(const std::string& line) {
  if (m_verbose)
    write_line("auditfetch: " + line);
}

void StderrDiagnostics::warning(const std::string& line) {
  write_line("auditfetch: warning: " + line);
}

void StderrDiagnostics::error(const std::string& message, const std::string& hint) {
  write_line("auditfetch: error: " + message + (hint.empty() ? "" : " (" + hint + ")"));
}

} // namespace auditfetch
