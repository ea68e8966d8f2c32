#pragma once
// Where diagnostics go: stderr in the binary (commands/diagnostics.hpp), a string in tests.

#include <string>

namespace auditfetch {

class Diagnostics {
public:
  virtual ~Diagnostics() = default;
  // Print "auditfetch: <line>" when verbose.
  virtual void verbose(const std::string& line) = 0;
  // Print "auditfetch: warning: <line>" unless quiet.
  virtual void warning(const std::string& line) = 0;
  virtual bool is_verbose() const = 0;
};

} // namespace auditfetch
