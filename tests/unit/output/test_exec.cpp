#include "auditfetch/output/exec.hpp"
#include "auditfetch/util/error.hpp"
#include "fakes/fake_transport.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace auditfetch;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "auditfetch-exec-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

ExecSink sink_for(const std::string& command, test::CapturingDiagnostics& diagnostics, int retries = 3) {
  return ExecSink(ExecOptions{command, retries, 1ms}, diagnostics);
}

} // namespace

TEST_SUITE("exec sink") {
  TEST_CASE("each delivery runs the command once with that batch, whole, on stdin") {
    TempDir dir;
    test::CapturingDiagnostics diagnostics;
    const auto out = dir.path / "out";
    auto sink = sink_for(fmt::format("cat >> '{}'; echo --- >> '{}'", out.string(), out.string()), diagnostics);
    sink.write("{\"id\":\"a\"}\n");
    sink.flush(); // nothing leaves before deliver()
    CHECK_FALSE(fs::exists(out));
    sink.write("{\"id\":\"b\"}\n");
    sink.deliver(2);
    CHECK(sink.size() == 0);
    sink.write("{\"id\":\"c\"}\n");
    sink.deliver(1);
    CHECK(read(out) == "{\"id\":\"a\"}\n{\"id\":\"b\"}\n---\n{\"id\":\"c\"}\n---\n");
    CHECK(diagnostics.warnings.empty());
  }

  TEST_CASE("a failure is tried again with the same batch, then named with its exit status") {
    TempDir dir;
    test::CapturingDiagnostics diagnostics;
    const auto tries = dir.path / "tries";
    auto sink = sink_for(fmt::format("cat >> '{}'; exit 7", tries.string()), diagnostics, 2);
    sink.write("x\n");
    try {
      sink.deliver(1);
      FAIL("delivered");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::remote);
      CHECK(std::string(e.what()) ==
            "the --exec command exited with status 7 (3 tries); the batch of 1 activity was not delivered");
    }
    CHECK(read(tries) == "x\nx\nx\n");
    REQUIRE(diagnostics.warnings.size() == 2);
    CHECK(diagnostics.warnings[0] == "the --exec command exited with status 7; trying the batch of 1 activity "
                                     "again in 0.0 s (1 of 2)");
    CHECK(sink.size() == 2); // still there: not delivered
  }

  TEST_CASE("a command that fails once is delivered on the retry") {
    TempDir dir;
    test::CapturingDiagnostics diagnostics;
    const auto flag = dir.path / "failed-once";
    const auto out = dir.path / "out";
    auto sink = sink_for(fmt::format("if [ -e '{0}' ]; then cat > '{1}'; else touch '{0}'; exit 1; fi",
                                     flag.string(), out.string()),
                         diagnostics);
    sink.write("y\n");
    sink.deliver(1);
    CHECK(read(out) == "y\n");
    CHECK(diagnostics.warnings.size() == 1);
  }

  TEST_CASE("the command inherits no descriptor but stdin, stdout (auditfetch's stderr) and stderr") {
    TempDir dir;
    test::CapturingDiagnostics diagnostics;
    const auto out = dir.path / "fds";
    auto sink = sink_for(fmt::format("ls /proc/self/fd > '{}'", out.string()), diagnostics);
    const int open_here = ::open("/dev/null", O_RDONLY); // not close-on-exec
    REQUIRE(open_here > 2);
    sink.write("z\n");
    sink.deliver(1);
    ::close(open_here);
    // 0, 1, 2, and the directory ls reads.
    CHECK(read(out) == "0\n1\n2\n3\n");
  }

  TEST_CASE("a command killed by a signal is named so") {
    test::CapturingDiagnostics diagnostics;
    auto sink = sink_for("kill -TERM $$", diagnostics, 0);
    sink.write("k\n");
    CHECK_THROWS_WITH_AS(sink.deliver(1),
                         "the --exec command was killed by signal 15; the batch of 1 activity was not delivered",
                         Error);
  }
}
