// --exec: posix_spawn of /bin/sh -c, the batch in a memory file on its stdin.
#include "auditfetch/output/exec.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/util/interrupt.hpp"
#include "auditfetch/util/spawn.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>

extern char** environ;

namespace auditfetch {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds k_max_backoff{60000};

// The batch in an anonymous memory file: whole before the command starts.
Fd batch_file(std::string_view bytes) {
  Fd fd(::memfd_create("auditfetch-batch", MFD_CLOEXEC));
  if (fd.get() < 0)
    throw Error(ErrorKind::remote, fmt::format("--exec: cannot create the batch file: {}", std::strerror(errno)));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      throw Error(ErrorKind::remote, fmt::format("--exec: cannot write the batch file: {}", std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
  return fd;
}

struct Outcome {
  bool ok = false;
  std::string what; // "exited with status 7", "was killed by signal 9"
};

// Run the command once with `input` (rewound) on stdin; wait for it, whatever signal comes.
Outcome run_once(const std::string& command, int input) {
  if (::lseek(input, 0, SEEK_SET) != 0)
    throw Error(ErrorKind::remote, fmt::format("--exec: cannot rewind the batch file: {}", std::strerror(errno)));
  SpawnSetup setup;
  posix_spawn_file_actions_adddup2(&setup.actions, input, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, STDERR_FILENO, STDOUT_FILENO); // stdout is for data
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, "/bin/sh", &setup.actions, &setup.attr,
                                    const_cast<char* const*>(argv), environ);
  if (spawned != 0)
    return {false, fmt::format("could not be started (/bin/sh: {})", std::strerror(spawned))};
  // The batch in flight decides the checkpoint: it is waited for, also after SIGINT/SIGTERM.
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return {false, fmt::format("could not be waited for: {}", std::strerror(errno))};
  }
  if (WIFEXITED(status))
    return {WEXITSTATUS(status) == 0, fmt::format("exited with status {}", WEXITSTATUS(status))};
  if (WIFSIGNALED(status))
    return {false, fmt::format("was killed by signal {}", WTERMSIG(status))};
  return {false, "ended abnormally"};
}

std::string seconds_text(milliseconds d) {
  return d.count() % 1000 == 0 ? fmt::format("{} s", d.count() / 1000)
                               : fmt::format("{:.1f} s", static_cast<double>(d.count()) / 1000);
}

} // namespace

ExecSink::ExecSink(ExecOptions options, Diagnostics& diagnostics)
    : m_options(std::move(options)), m_diagnostics(diagnostics) {}

void ExecSink::deliver(std::size_t activities) {
  const auto input = batch_file(m_batch);
  const auto batch = fmt::format("the batch of {} {}", activities, activities == 1 ? "activity" : "activities");
  auto wait = m_options.backoff;
  for (int attempt = 0;; ++attempt) {
    const auto outcome = run_once(m_options.command, input.get());
    if (outcome.ok) {
      m_batch.clear();
      return;
    }
    if (interrupted())
      throw Error(ErrorKind::interrupted,
                  fmt::format("interrupted: the --exec command {}; {} was not delivered", outcome.what, batch));
    if (attempt >= m_options.retries)
      throw Error(ErrorKind::remote,
                  fmt::format("the --exec command {}{}; {} was not delivered", outcome.what,
                              attempt > 0 ? fmt::format(" ({} tries)", attempt + 1) : "", batch),
                  "the state file stays at the last batch delivered: the next run delivers this one again");
    m_diagnostics.warning(fmt::format("the --exec command {}; trying {} again in {} ({} of {})", outcome.what,
                                      batch, seconds_text(wait), attempt + 1, m_options.retries));
    // Woken by SIGINT/SIGTERM: the batch is not tried again.
    const auto until = std::chrono::steady_clock::now() + wait;
    while (!interrupted() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::min(milliseconds{50}, wait));
    if (interrupted())
      throw Error(ErrorKind::interrupted,
                  fmt::format("interrupted: the --exec command {}; {} was not delivered", outcome.what, batch));
    wait = std::min(k_max_backoff, wait * 2);
  }
}

} // namespace auditfetch
