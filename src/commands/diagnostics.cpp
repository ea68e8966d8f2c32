#include "auditfetch/commands/diagnostics.hpp"

#include "auditfetch/commands/progress.hpp"

namespace auditfetch {
namespace {

// Whole lines, never interleaved between the fetching and writing threads, and the progress
// line erased first (see commands/progress.hpp).
void write_line(const std::string& line) { write_stderr_line(line); }

} // namespace

void StderrDiagnostics::verbose(const std::string& line) {
  if (m_verbose)
    write_line("auditfetch: " + line);
}

void StderrDiagnostics::warning(const std::string& line) {
  if (!m_quiet)
    write_line("auditfetch: warning: " + line);
}

void StderrDiagnostics::error(const std::string& message, const std::string& hint) {
  write_line("auditfetch: error: " + message + (hint.empty() ? "" : " (" + hint + ")"));
}

} // namespace auditfetch
