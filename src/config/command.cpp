// Credential commands: posix_spawnp, no shell, a pipe for stdout, a deadline.
#include "auditfetch/config/command.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/util/spawn.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace auditfetch {
namespace {

using std::chrono::milliseconds;
using clock = std::chrono::steady_clock;

constexpr std::size_t k_max_output = 64 * 1024;

std::string duration_text(milliseconds d) {
  return d.count() % 1000 == 0 ? fmt::format("{}s", d.count() / 1000)
                               : fmt::format("{}ms", d.count());
}

enum class Outcome { finished, timed_out, too_big, cancelled };

} // namespace

std::string run_secret_command(const std::vector<std::string>& argv, milliseconds timeout,
                               const std::string& what, const std::function<bool()>& cancelled) {
  const std::string& program = argv.at(0);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw Error(ErrorKind::remote, fmt::format("{}: cannot create a pipe: {}", what, std::strerror(errno)));
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);

  std::vector<char*> args;
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int spawned = 0;
  {
    SpawnSetup setup;
    posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), STDOUT_FILENO);
    spawned = ::posix_spawnp(&pid, program.c_str(), &setup.actions, &setup.attr, args.data(), environ);
  }
  write_end.reset(); // EOF once the command (and anything it started) closes its stdout
  if (spawned != 0)
    throw Error(ErrorKind::usage,
                fmt::format("{}: command '{}' could not be started: {}", what, program,
                            std::strerror(spawned)),
                spawned == ENOENT ? "check the program name and PATH (no shell is used)"
                                  : "check that the program is executable");

  const auto deadline = clock::now() + timeout;
  std::string out;
  auto outcome = Outcome::finished;
  const auto stop = [&] { return cancelled && cancelled(); };
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
    if (left.count() <= 0) {
      outcome = Outcome::timed_out;
      break;
    }
    if (stop()) {
      outcome = Outcome::cancelled;
      break;
    }
    pollfd p{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 100)));
    if (ready < 0 && errno != EINTR)
      break;
    if (ready <= 0)
      continue;
    char buffer[4096];
    const auto n = ::read(read_end.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break; // EOF (or an error: what was read is judged below)
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > k_max_output) {
      outcome = Outcome::too_big;
      break;
    }
  }
  read_end.reset();

  // stdout is closed; the command still has until the deadline to exit.
  int status = 0;
  bool killed = outcome != Outcome::finished;
  if (killed)
    ::kill(pid, SIGKILL);
  for (;;) {
    const pid_t waited = ::waitpid(pid, &status, killed ? 0 : WNOHANG);
    if (waited == pid)
      break;
    if (waited < 0 && errno != EINTR) {
      status = 0;
      break;
    }
    if (!killed && (clock::now() >= deadline || stop())) {
      outcome = stop() ? Outcome::cancelled : Outcome::timed_out;
      ::kill(pid, SIGKILL);
      killed = true;
      continue;
    }
    if (waited == 0)
      std::this_thread::sleep_for(milliseconds{5});
  }
  if (outcome == Outcome::finished && stop())
    outcome = Outcome::cancelled; // the command saw the terminal's SIGINT too
  switch (outcome) {
  case Outcome::cancelled:
    throw Error(ErrorKind::interrupted, fmt::format("{}: interrupted while command '{}' ran", what, program));
  case Outcome::timed_out:
    throw Error(ErrorKind::usage,
                fmt::format("{}: command '{}' did not finish within {}; it was stopped", what,
                            program, duration_text(timeout)),
                "raise the source's timeout (timeout = \"30s\"), or check that the command "
                "does not wait for input");
  case Outcome::too_big:
    throw Error(ErrorKind::usage,
                fmt::format("{}: command '{}' printed more than {} KiB", what, program,
                            k_max_output / 1024),
                "it must print only the secret");
  case Outcome::finished:
    break;
  }
  if (WIFSIGNALED(status))
    throw Error(ErrorKind::usage,
                fmt::format("{}: command '{}' was killed by signal {}", what, program,
                            WTERMSIG(status)));
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    throw Error(ErrorKind::usage,
                fmt::format("{}: command '{}' failed with exit status {}", what, program,
                            WEXITSTATUS(status)),
                "its own messages, if any, are above");
  return out;
}

} // namespace auditfetch
