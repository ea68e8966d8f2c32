#include "auditfetch/util/error.hpp"
#include "auditfetch/state/checkpoint.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace auditfetch;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "auditfetch-state-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

const std::map<std::string, std::string> k_account = {{"environment-id", "e1"}};

Checkpoint sample() {
  Checkpoint c;
  c.provider = "pingone";
  c.account = k_account;
  c.record("a", parse_rfc3339("2024-05-01T00:00:00Z"));
  c.record("b", parse_rfc3339("2024-05-01T00:10:00Z"));
  return c;
}

} // namespace

TEST_SUITE("checkpoint") {
  TEST_CASE("a saved checkpoint loads back the same, mode 0600") {
    TempDir dir;
    const auto path = (dir.path / "state.json").string();
    save_checkpoint(path, sample());
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const auto loaded = load_checkpoint(path, "pingone", k_account);
    REQUIRE(loaded);
    CHECK(format_rfc3339_ms(*loaded->high_water) == "2024-05-01T00:10:00.000Z");
    CHECK(loaded->has_seen("a"));
    CHECK(loaded->seen.size() == 2);
  }

  TEST_CASE("a missing file is no checkpoint") {
    TempDir dir;
    CHECK_FALSE(load_checkpoint((dir.path / "none.json").string(), "pingone", k_account));
  }

  TEST_CASE("another provider or account is refused, naming the file") {
    TempDir dir;
    const auto path = (dir.path / "state.json").string();
    save_checkpoint(path, sample());
    CHECK_THROWS_WITH_AS(load_checkpoint(path, "truto", k_account),
                         ("state file '" + path + "' belongs to provider pingone, not truto").c_str(), Error);
    CHECK_THROWS_WITH_AS(load_checkpoint(path, "pingone", {{"environment-id", "e2"}}),
                         ("state file '" + path + "' belongs to another pingone account (environment-id=e1)").c_str(),
                         Error);
  }

  TEST_CASE("a corrupt file is refused and left as it is") {
    TempDir dir;
    const auto path = dir.path / "state.json";
    write(path, "{not json");
    try {
      load_checkpoint(path.string(), "pingone", k_account);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      CHECK(std::string(e.what()) == "state file '" + path.string() + "' is corrupt: not JSON");
    }
    CHECK(read(path) == "{not json");
    write(path, R"({"version":1,"provider":"pingone","account":{},"high_water":"yesterday","seen":{}})");
    CHECK_THROWS_AS(load_checkpoint(path.string(), "pingone", {}), Error);
  }

  TEST_CASE("saving over a symlink replaces the link, never its target") {
    TempDir dir;
    const auto target = dir.path / "precious";
    write(target, "keep me");
    const auto link = dir.path / "state.json";
    fs::create_symlink(target, link);
    save_checkpoint(link.string(), sample());
    CHECK(read(target) == "keep me");
    CHECK_FALSE(fs::is_symlink(link));
  }

  TEST_CASE("prune forgets ids older than the overlap window; resume starts inside it") {
    auto c = sample();
    c.prune(std::chrono::minutes{5});
    CHECK_FALSE(c.has_seen("a"));
    CHECK(c.has_seen("b"));
    CHECK(format_rfc3339_ms(*c.resume_from(std::chrono::minutes{5})) == "2024-05-01T00:05:00.000Z");
    c.floor = parse_rfc3339("2024-05-01T00:08:00Z");
    CHECK(format_rfc3339_ms(*c.resume_from(std::chrono::minutes{5})) == "2024-05-01T00:08:00.000Z");
  }

  TEST_CASE("recording without advancing keeps the high-water mark") {
    Checkpoint c;
    c.record("x", parse_rfc3339("2024-05-02T00:00:00Z"), false);
    CHECK_FALSE(c.high_water);
    CHECK(c.has_seen("x"));
    c.record_high_water(parse_rfc3339("2024-05-02T00:00:00Z"));
    c.record_high_water(parse_rfc3339("2024-05-01T00:00:00Z"));
    CHECK(format_rfc3339_ms(*c.high_water) == "2024-05-02T00:00:00.000Z");
  }
}
