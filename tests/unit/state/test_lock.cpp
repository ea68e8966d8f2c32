#include "auditfetch/state/lock.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/interrupt.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace auditfetch;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "auditfetch-lock-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST_SUITE("state lock") {
  TEST_CASE("the lock file sits beside the state file, private, with the holder's pid") {
    TempDir dir;
    const auto state = (dir.path / "s.json").string();
    StateLock lock(state, 0ms);
    CHECK(lock.path() == state + ".lock");
    CHECK(read(lock.path()) == fmt::format("{}\n", ::getpid()));
    struct stat info {};
    REQUIRE(::stat(lock.path().c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    CHECK_FALSE(fs::exists(state)); // the state file itself is not touched
  }

  TEST_CASE("a second holder is refused at once, naming the pid, until the first lets go") {
    TempDir dir;
    const auto state = (dir.path / "s.json").string();
    {
      StateLock first(state, 0ms);
      try {
        StateLock second(state, 0ms);
        FAIL("locked twice");
      } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::busy);
        CHECK(std::string(e.what()) == fmt::format("{} is in use by another auditfetch (pid {})", state, ::getpid()));
        CHECK(e.hint().find("--wait-lock") != std::string::npos);
      }
    }
    StateLock again(state, 0ms); // released with the first
  }

  TEST_CASE("a run that finds the lock just taken never names the previous holder") {
    // The next holder has the lock but has not written its pid yet: the previous, clean
    // holder's pid must not be in the file any more. (CI once saw the loser of two runs
    // started together name the run before them.)
    TempDir dir;
    const auto state = (dir.path / "s.json").string();
    { StateLock previous(state, 0ms); }
    CHECK(read(state + ".lock").empty());
    const int next = ::open((state + ".lock").c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(next >= 0);
    REQUIRE(::flock(next, LOCK_EX | LOCK_NB) == 0);
    CHECK_THROWS_WITH_AS(StateLock(state, 0ms),
                         fmt::format("{} is in use by another auditfetch (pid unknown)", state).c_str(), Error);
    // A pid left by a run killed with -9 names no live process, and is not named either.
    { std::ofstream(state + ".lock") << "999999999\n"; }
    CHECK_THROWS_WITH_AS(StateLock(state, 0ms),
                         fmt::format("{} is in use by another auditfetch (pid unknown)", state).c_str(), Error);
    ::close(next);
  }

  TEST_CASE("waiting gives up after the duration, or goes on once the holder lets go") {
    TempDir dir;
    const auto state = (dir.path / "s.json").string();
    auto first = std::make_unique<StateLock>(state, 0ms);
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH_AS(StateLock(state, 200ms),
                         fmt::format("{} is still in use by another auditfetch (pid {}) after 200ms", state,
                                     ::getpid()).c_str(),
                         Error);
    CHECK(std::chrono::steady_clock::now() - start >= 200ms);
    std::thread release([&] {
      std::this_thread::sleep_for(100ms);
      first.reset();
    });
    StateLock waited(state, 5000ms);
    release.join();
  }

  TEST_CASE("a signal ends the wait") {
    TempDir dir;
    const auto state = (dir.path / "s.json").string();
    StateLock first(state, 0ms);
    request_interrupt(SIGINT);
    try {
      StateLock second(state, 10000ms);
      FAIL("locked twice");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::interrupted);
    }
    request_interrupt(0);
  }

  TEST_CASE("a symlink at the lock path is not followed") {
    TempDir dir;
    const auto target = dir.path / "victim";
    { std::ofstream(target) << "precious"; }
    fs::create_symlink(target, dir.path / "s.json.lock");
    CHECK_THROWS_AS(StateLock((dir.path / "s.json").string(), 0ms), Error);
    CHECK(read(target) == "precious");
  }

  TEST_CASE("exit status 6 is the busy state file's, in the one table") {
    CHECK(exit_code(ErrorKind::busy) == 6);
    CHECK(exit_status_text().find("    6  the state file is in use") != std::string::npos);
  }
}
