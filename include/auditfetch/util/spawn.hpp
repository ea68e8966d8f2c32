#pragma once
// What the commands auditfetch starts (--exec consumers, credential commands) share: an owned
// file descriptor, and posix_spawn attributes that undo auditfetch's own signal handling.

#include <spawn.h>
#include <utility>

namespace auditfetch {

// A file descriptor closed when it goes out of scope.
class Fd {
public:
  explicit Fd(int fd = -1) : m_fd(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  int get() const { return m_fd; }
  void reset();

private:
  int m_fd;
};

// posix_spawn file actions and attributes: the child gets default dispositions for the
// signals auditfetch ignores or handles (an ignored SIGPIPE would survive exec) and an empty
// signal mask. Add the child's redirections to `actions`.
class SpawnSetup {
public:
  SpawnSetup();
  ~SpawnSetup();
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
};

} // namespace auditfetch
