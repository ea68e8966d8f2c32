#include "auditfetch/cli/cli.hpp"
#include "auditfetch/util/error.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace auditfetch;
using namespace auditfetch::test;

namespace {

ParsedCommandLine parse(std::vector<std::string> args) {
  args.insert(args.begin(), "auditfetch");
  auto parsed = parse_command_line(args, registry());
  return std::move(*parsed);
}

std::string usage_error(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    return e.what();
  }
  return "no error";
}

} // namespace

TEST_SUITE("cli") {
  TEST_CASE("list options after the subcommand") {
    const auto p = parse({"list", "-p", "pingone", "--environment-id", "E", "--since", "24h",
                          "--action", "login", "--action", "USER.CREATED", "-o", "ndjson",
                          "--limit", "5", "--param", "a=b", "--param", "c=d", "-v"});
    CHECK(p.command == "list");
    CHECK(p.list.common.provider == "pingone");
    CHECK(p.list.common.settings.at("environment-id") == "E");
    CHECK(p.list.query.since == "24h");
    CHECK(p.list.query.actions == std::vector<std::string>{"login", "USER.CREATED"});
    CHECK(p.list.common.output == "ndjson");
    CHECK(p.list.query.limit == 5u);
    CHECK(p.list.query.params == std::vector<std::string>{"a=b", "c=d"});
    CHECK(p.list.common.verbose);
    CHECK(p.list.common.retries == 3);
    CHECK(p.list.common.timeout == "30s");
  }

  TEST_CASE("get takes the ids as positional arguments") {
    auto p = parse({"get", "-p", "pingone", "abc"});
    CHECK(p.command == "get");
    CHECK(p.get.ids == std::vector<std::string>{"abc"});
    p = parse({"get", "-p", "pingone", "abc", "def", "-o", "json", "ghi"});
    CHECK(p.get.ids == std::vector<std::string>{"abc", "def", "ghi"});
  }

  TEST_CASE("unknown flags, bad values and missing commands are usage errors") {
    CHECK(usage_error({"list", "--bogus"}) == "The following argument was not expected: --bogus");
    CHECK(usage_error({"list", "-o", "xml"}).find("xml") != std::string::npos);
    CHECK(usage_error({"list", "--limit", "many"}).find("many") != std::string::npos);
    CHECK(usage_error({}) == "A subcommand is required");
    CHECK(usage_error({"get", "-p", "pingone"}) == "id is required");
  }

  TEST_CASE("a repeatable option takes one value, never the next positional") {
    auto p = parse({"get", "-p", "pingone", "--providers-dir", "/tmp/d", "abc"});
    CHECK(p.get.ids == std::vector<std::string>{"abc"});
    CHECK(p.get.common.providers_dirs == std::vector<std::string>{"/tmp/d"});
    p = parse({"providers", "--providers-dir", "/tmp/d", "pingone"});
    CHECK(p.providers.name == "pingone");
  }

  TEST_CASE("a repeated single-value flag takes the last value") {
    const auto p = parse({"list", "--since", "1h", "--since", "2h"});
    CHECK(p.list.query.since == "2h");
  }

  TEST_CASE("definition directories: XDG, the environment, then every --providers-dir") {
    const auto dirs = definition_directories(
        {"auditfetch", "list", "--providers-dir", "/a", "--providers-dir=/b"},
        env_of({{"XDG_CONFIG_HOME", "/x"}, {"AUDITFETCH_PROVIDERS_DIR", "/e"}}));
    CHECK(dirs == std::vector<std::pair<std::string, bool>>{
                      {"/x/auditfetch/providers", false}, {"/e", true}, {"/a", true}, {"/b", true}});
    CHECK(definition_directories({"auditfetch"}, env_of({{"HOME", "/h"}})) ==
          std::vector<std::pair<std::string, bool>>{{"/h/.config/auditfetch/providers", false}});
  }

  TEST_CASE("--help and --version exit 0 without running a command") {
    CHECK(parse({"--version"}).exit_now == 0);
    CHECK(parse({"list", "--help"}).exit_now == 0);
  }

  TEST_CASE("the version names OpenSSL and Boost") {
    const auto text = version_text();
    CHECK(text.find("auditfetch " AUDITFETCH_VERSION) == 0);
    CHECK(text.find("OpenSSL 3") != std::string::npos);
    CHECK(text.find("Boost 1.81.0") != std::string::npos);
  }
}
