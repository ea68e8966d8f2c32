// The shared parts of starting a command: see spawn.hpp.
#include "auditfetch/util/spawn.hpp"

#include <csignal>
#include <unistd.h>

namespace auditfetch {

void Fd::reset() {
  if (m_fd >= 0)
    ::close(m_fd);
  m_fd = -1;
}

SpawnSetup::SpawnSetup() {
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM})
    sigaddset(&defaults, s);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t mask;
  sigemptyset(&mask);
  posix_spawnattr_setsigmask(&attr, &mask);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
}

SpawnSetup::~SpawnSetup() {
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
}

} // namespace auditfetch
