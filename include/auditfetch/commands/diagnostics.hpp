#pragma once

#include "auditfetch/util/diagnostics.hpp"

namespace auditfetch {

// Diagnostics on stderr, one line each, prefixed "auditfetch: ".
class StderrDiagnostics final : public Diagnostics {
public:
  explicit StderrDiagnostics(bool verbose) : m_verbose(verbose) {}
  void verbose(const std::string& line) override;
  void warning(const std::string& line) override;
  bool is_verbose() const override { return m_verbose; }
  void set_verbose(bool verbose) { m_verbose = verbose; }
  // -q/--quiet: warnings are not printed (errors always are).
  void set_quiet(bool quiet) { m_quiet = quiet; }

  // Print "auditfetch: error: <message>" and, when given, "auditfetch: hint: <hint>".
  static void error(const std::string& message, const std::string& hint);

private:
  bool m_verbose;
  bool m_quiet = false;
};

} // namespace auditfetch
