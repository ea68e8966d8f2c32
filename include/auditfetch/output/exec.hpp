#pragma once
// --exec: each batch of output handed to a shell command on its stdin; delivered once the
// command exits 0.

#include "auditfetch/output/writer.hpp"
#include "auditfetch/util/diagnostics.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace auditfetch {

struct ExecOptions {
  std::string command;                    // run as /bin/sh -c COMMAND
  int retries = 3;                        // tries of a failed batch after the first
  std::chrono::milliseconds backoff{1000}; // before the first retry; doubled each time, at most 1 min
};

// Collects what the writer writes; deliver() hands it to the command.
class ExecSink final : public Sink {
public:
  ExecSink(ExecOptions options, Diagnostics& diagnostics);
  void write(std::string_view bytes) override { m_batch += bytes; }
  void flush() override {} // a batch leaves only through deliver()
  std::size_t size() const { return m_batch.size(); }

  // Run the command with the bytes written since the last delivery on its stdin: a file that
  // holds the whole batch (so a command that outlives auditfetch still reads all of it), its
  // stdout and stderr on auditfetch's stderr, no other descriptor inherited. Returns once it
  // exited 0, the batch cleared. A failure is tried again after a backoff, up to `retries`
  // times (not once SIGINT or SIGTERM came); then Error(remote) names the exit status, or
  // Error(interrupted) after a signal. `activities` is for the messages.
  void deliver(std::size_t activities);

private:
  ExecOptions m_options;
  Diagnostics& m_diagnostics;
  std::string m_batch;
};

} // namespace auditfetch
