#pragma once
// One run per state file: an exclusive flock(2) on FILE.lock, beside it, held for the whole
// run. Reading the state (config show, --explain) never takes it.

#include <chrono>
#include <string>

namespace auditfetch {

class StateLock {
public:
  // Lock `state_path` + ".lock" (created 0600 if missing, never through a symlink) and write
  // this process's pid into it. When another process holds it, wait up to `wait` (zero: not
  // at all), then throw Error(busy) "FILE is in use by another auditfetch (pid N)". Throws
  // Error(interrupted) on SIGINT/SIGTERM while waiting, Error(usage) naming the lock file when
  // it cannot be opened. The lock goes with the process (and with this object): a run killed
  // with -9 leaves nothing to clean up.
  StateLock(const std::string& state_path, std::chrono::milliseconds wait);
  ~StateLock();
  StateLock(StateLock&& other) noexcept;
  StateLock& operator=(StateLock&&) = delete;
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

  const std::string& path() const { return m_path; } // of the lock file

private:
  std::string m_path;
  int m_fd = -1;
};

} // namespace auditfetch
