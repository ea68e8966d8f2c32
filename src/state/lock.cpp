#include "auditfetch/state/lock.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/util/interrupt.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>
#include <unistd.h>
#include <utility>

namespace auditfetch {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds k_poll{50};

std::string duration_text(milliseconds d) {
  return d.count() % 1000 == 0 ? fmt::format("{}s", d.count() / 1000) : fmt::format("{}ms", d.count());
}

// The pid the holder wrote. A holder that has just taken the lock may not have written it yet:
// the file is then empty (a clean run empties it as it lets go) or names a run killed with -9,
// a process that no longer exists. Either way, read again for a moment rather than name the
// wrong process.
std::string holder_of(int fd) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    char text[32] = {};
    const auto n = ::pread(fd, text, sizeof text - 1, 0);
    if (n > 0) {
      std::string pid(text, static_cast<std::size_t>(n));
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
        pid.pop_back();
      if (!pid.empty() && pid.size() < 10 && pid.find_first_not_of("0123456789") == std::string::npos &&
          (::kill(static_cast<pid_t>(std::stol(pid)), 0) == 0 || errno == EPERM))
        return pid;
    }
    std::this_thread::sleep_for(milliseconds{10});
  }
  return "unknown";
}

} // namespace

StateLock::StateLock(const std::string& state_path, milliseconds wait) : m_path(state_path + ".lock") {
  // O_CLOEXEC: an --exec command (or anything it leaves running) must not inherit the lock.
  m_fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (m_fd < 0)
    throw Error(ErrorKind::usage,
                fmt::format("cannot open the lock file '{}': {}", m_path, std::strerror(errno)),
                errno == ELOOP ? "it is a symbolic link: remove it"
                               : "check that the state file's directory exists and is writable");
  const auto deadline = Clock::now() + wait;
  for (;;) {
    if (::flock(m_fd, LOCK_EX | LOCK_NB) == 0)
      break;
    const int error = errno;
    if (error == EINTR)
      continue;
    if (error != EWOULDBLOCK) {
      ::close(m_fd);
      throw Error(ErrorKind::usage, fmt::format("cannot lock '{}': {}", m_path, std::strerror(error)));
    }
    if (interrupted()) {
      ::close(m_fd);
      throw Error(ErrorKind::interrupted,
                  fmt::format("interrupted while waiting for {} to be free", state_path));
    }
    if (Clock::now() >= deadline) {
      const auto holder = holder_of(m_fd);
      ::close(m_fd);
      throw Error(ErrorKind::busy,
                  wait.count() > 0
                      ? fmt::format("{} is still in use by another auditfetch (pid {}) after {}",
                                    state_path, holder, duration_text(wait))
                      : fmt::format("{} is in use by another auditfetch (pid {})", state_path, holder),
                  fmt::format("one run at a time per state file ({} holds the lock); "
                              "--wait-lock DURATION waits for it",
                              m_path));
    }
    std::this_thread::sleep_for(k_poll);
  }
  // Who holds it, for the message of a run that finds it taken.
  const auto pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(m_fd, 0) != 0 ||
      ::pwrite(m_fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock holds without the pid; only the message of a second run is poorer.
  }
}

StateLock::StateLock(StateLock&& other) noexcept
    : m_path(std::move(other.m_path)), m_fd(std::exchange(other.m_fd, -1)) {}

StateLock::~StateLock() {
  if (m_fd >= 0) {
    // Our pid goes first, so that a run which finds the lock taken by the next holder, before
    // that holder has written its pid, never names us.
    if (::ftruncate(m_fd, 0) != 0) {
      // Nothing to do: holder_of() also passes over the pids of processes that have ended.
    }
    ::close(m_fd); // releases the lock; the file stays, for the next run to lock
  }
}

} // namespace auditfetch
