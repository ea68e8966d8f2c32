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

  TEST_CASE("unknown flags, bad values and missing commands are usage errors of our own") {
    CHECK(usage_error({"list", "--bogus"}) == "unknown flag --bogus");
    CHECK(usage_error({"list", "--sinc", "1h"}) == "unknown flag --sinc (did you mean --since?)");
    CHECK(usage_error({"lsit"}) == "unknown command \"lsit\" (did you mean \"list\"?)");
    CHECK(usage_error({"config", "lst"}) == "unknown command \"lst\" for \"auditfetch config\"");
    CHECK(usage_error({"list", "-o", "xml"}) == "unknown output format \"xml\"");
    CHECK(usage_error({"list", "-o", "jsn"}) == "unknown output format \"jsn\" (did you mean \"json\"?)");
    CHECK(usage_error({"list", "--limit", "many"}) == "--limit many is not a whole number");
    CHECK(usage_error({"list", "--limit", "-1"}) == "--limit -1 is out of range");
    CHECK(usage_error({"list", "--page-size", "0"}) == "--page-size 0 is out of range");
    CHECK(usage_error({"list", "--retries", "-2"}) == "--retries -2 is out of range");
    CHECK(usage_error({"get", "-p", "pingone"}) == "get needs ID (activity ids)");
    CHECK(usage_error({"list", "stray"}) == "unexpected argument \"stray\"");
    CHECK(usage_error({"tail", "--until", "1h"}).rfind("unknown flag --until", 0) == 0);
    CHECK(usage_error({"tail", "--limit", "5"}).rfind("unknown flag --limit", 0) == 0);
  }

  TEST_CASE("a flag without its value never takes the next flag") {
    CHECK(usage_error({"list", "-p", "pingone", "--environment-id", "--since", "1h"}) ==
          "--environment-id needs a value");
    CHECK(usage_error({"list", "--since"}) == "--since needs a value");
    // A negative number is a value (refused by its range, not taken for a flag).
    CHECK(usage_error({"list", "--limit", "-1"}) == "--limit -1 is out of range");
    CHECK(parse({"list", "--since=-x"}).list.query.since == "-x");
  }

  TEST_CASE("a boolean setting is a switch, and still takes true or false") {
    auto p = parse({"list", "-p", "thousandeyes", "--use-all-permitted-aids", "--since", "1h"});
    CHECK(p.list.common.settings.at("use-all-permitted-aids") == "true");
    CHECK(p.list.query.since == "1h");
    p = parse({"list", "-p", "thousandeyes", "--use-all-permitted-aids", "false"});
    CHECK(p.list.common.settings.at("use-all-permitted-aids") == "false");
    p = parse({"list", "-p", "thousandeyes", "--use-all-permitted-aids=true"});
    CHECK(p.list.common.settings.at("use-all-permitted-aids") == "true");
  }

  TEST_CASE("bare auditfetch and help COMMAND exit 0") {
    CHECK(parse({}).exit_now == 0);
    CHECK(parse({"config"}).exit_now == 0);
    CHECK(parse({"help"}).exit_now == 0);
    CHECK(parse({"help", "list"}).exit_now == 0);
    CHECK(usage_error({"help", "lsit"}) == "unknown command \"lsit\" (did you mean \"list\"?)");
  }

  TEST_CASE("provider and output names match without regard to case") {
    const auto p = parse({"list", "-p", "PingOne", "-o", "NDJSON"});
    CHECK(p.list.common.provider == "pingone");
    CHECK(p.list.common.output == "ndjson");
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
