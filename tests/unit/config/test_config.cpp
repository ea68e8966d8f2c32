// config.toml: parsing, errors naming file:line:key, precedence, credential sources, masking.
#include "auditfetch/auth/scheme.hpp"
#include "auditfetch/commands/config.hpp"
#include "auditfetch/config/command.hpp"
#include "auditfetch/commands/profile.hpp"
#include "auditfetch/commands/get.hpp"
#include "auditfetch/commands/tail.hpp"
#include "auditfetch/config/config.hpp"
#include "auditfetch/util/error.hpp"
#include "fakes/fake_transport.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace auditfetch;
using namespace auditfetch::test;
namespace fs = std::filesystem;

namespace {

const std::string k_path = "/home/u/.config/auditfetch/config.toml";

const std::string k_config = R"(default-profile = "ping"

[profiles.ping]
provider = "pingone"
environment-id = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
region = "eu"
output = "ndjson"
fields = ["id", "action"]
since = "24h"
action = ["login", "login_failed"]
retries = 5
no-remote-data = true
state = "state/ping.json"
token = { command = ["get-token", "--vault", "prod"], timeout = "3s" }

[profiles.te]
provider = "thousandeyes"
aid = 1234
token = { file = "~/.te-token" }

[profiles.ping-cc]
provider = "pingone"
environment-id = "e"
token-url = "https://auth.example.com/e/as/token"
client-id = "my-client"
client-secret = { env = "PING_SECRET" }
)";

Config parse(const std::string& text, const std::string& path = k_path) {
  return parse_config(text, path, registry(), env_of({{"HOME", "/home/u"}}));
}

// The message of the Error that parsing `text` throws.
std::string parse_error(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    return e.what();
  }
  FAIL("no error for: " << text);
  return {};
}

std::string parse_hint(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& e) {
    return e.hint();
  }
  return {};
}

struct Readers {
  std::vector<std::string> commands_run;
  std::vector<std::string> warnings;
  std::map<std::string, std::string> vars;

  SecretReaders get() {
    SecretReaders r;
    r.env = [this](std::string_view name) -> std::optional<std::string> {
      auto it = vars.find(std::string(name));
      if (it == vars.end())
        return std::nullopt;
      return it->second;
    };
    r.run_command = [this](const CredentialSpec& spec, const std::string&) {
      commands_run.push_back(spec.argv.at(0));
      return std::string("secret-from-command\n");
    };
    r.warn = [this](const std::string& line) { warnings.push_back(line); };
    return r;
  }
};

// A temporary directory, removed with everything in it.
struct TempDir {
  fs::path path;
  TempDir() {
    char pattern[] = "/tmp/auditfetch-config-test-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text, mode_t mode) const {
    const auto file = path / name;
    std::ofstream(file) << text;
    ::chmod(file.c_str(), mode);
    return file.string();
  }
};

std::string read_fd_file(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string text;
  char buffer[4096];
  while (auto n = std::fread(buffer, 1, sizeof buffer, f))
    text.append(buffer, n);
  return text;
}

} // namespace

TEST_SUITE("config") {
  TEST_CASE("profiles, their settings, options and credential sources are read") {
    const auto config = parse(k_config);
    CHECK(config.names() == std::vector<std::string>{"ping", "ping-cc", "te"});
    REQUIRE(config.default_profile);
    CHECK(*config.default_profile == "ping");
    CHECK(config.default_profile_where == k_path + ":1");

    const auto& ping = *config.find("ping");
    CHECK(ping.provider == std::optional<std::string>("pingone"));
    CHECK(ping.where == k_path + ":3");
    CHECK(ping.settings.at("environment-id").values.at(0) == "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6");
    CHECK(ping.settings.at("region").where == k_path + ":6");
    CHECK(ping.options.at("action").values == std::vector<std::string>{"login", "login_failed"});
    CHECK(ping.options.at("retries").values.at(0) == "5");
    CHECK(ping.options.at("no-remote-data").values.at(0) == "true");
    // Relative paths are relative to the config file's directory.
    CHECK(ping.options.at("state").values.at(0) == "/home/u/.config/auditfetch/state/ping.json");
    const auto& token = ping.credentials.at("token");
    CHECK(token.kind == CredentialSpec::Kind::command);
    CHECK(token.argv == std::vector<std::string>{"get-token", "--vault", "prod"});
    CHECK(token.timeout == std::chrono::seconds{3});
    CHECK(token.describe() == "command get-token"); // the program, never its arguments

    const auto& te = *config.find("te");
    CHECK(te.settings.at("aid").values.at(0) == "1234"); // an integer is taken as text
    CHECK(te.credentials.at("token").kind == CredentialSpec::Kind::file);
    CHECK(te.credentials.at("token").value == "/home/u/.te-token"); // ~ expanded

    const auto& cc = *config.find("ping-cc");
    CHECK(cc.credentials.at("client-id").kind == CredentialSpec::Kind::literal);
    CHECK(cc.credentials.at("client-secret").describe() == "env PING_SECRET");
  }

  TEST_CASE("an empty file has no profiles") {
    const auto config = parse("");
    CHECK(config.profiles.empty());
    CHECK_FALSE(config.default_profile);
  }

  TEST_CASE("errors name the file, the line and the key") {
    CHECK(parse_error("[profiles.p]\nprovider = \"pingone\"\nbase_url = \"https://x\"\n") ==
          k_path + ":3: profiles.p.base_url: unknown key");
    CHECK(parse_hint("[profiles.p]\nprovider = \"pingone\"\nbase_url = \"https://x\"\n") ==
          "did you mean base-url? keys are spelt like the flags");
    CHECK(parse_error("[profiles.p]\nretries = \"3\"\n") ==
          k_path + ":2: profiles.p.retries: must be an integer, not a string");
    CHECK(parse_error("[profiles.p]\n\noutput = 3\n") ==
          k_path + ":3: profiles.p.output: must be a string, not an integer");
    CHECK(parse_error("[profiles.p]\noutput = \"xml\"\n") ==
          k_path + ":2: profiles.p.output: 'xml' is not an output format");
    CHECK(parse_error("[profiles.p]\nprovider = \"nosuch\"\n") ==
          k_path + ":2: profiles.p.provider: unknown provider 'nosuch'");
    CHECK(parse_error("[profiles.p]\nprovider = \"pingone\"\naid = 1\n") ==
          k_path + ":3: profiles.p.aid: unknown key");
    CHECK(parse_hint("[profiles.p]\nprovider = \"pingone\"\naid = 1\n").find("pingone settings: environment-id") !=
          std::string::npos);
    CHECK(parse_error("[profiles.p]\nnonsense = 1\n") == k_path + ":2: profiles.p.nonsense: unknown key");
    CHECK(parse_error("[profiles.p]\ntimeout = \"soon\"\n") ==
          k_path + ":2: profiles.p.timeout: 'soon' is not a duration");
    CHECK(parse_error("[profiles.p]\nsince = \"last week\"\n") ==
          k_path + ":2: profiles.p.since: 'last week' is not a time");
    CHECK(parse_error("[profiles.p]\naction = [\"login\", 3]\n") ==
          k_path + ":2: profiles.p.action: must be a string, not an integer");
    CHECK(parse_error("colour = \"blue\"\n") == k_path + ":1: colour: unknown key");
    CHECK(parse_error("default_profile = \"p\"\n") == k_path + ":1: default_profile: unknown key");
    CHECK(parse_error("default-profile = \"p\"\n") == k_path + ":1: default-profile: there is no profile 'p'");
    CHECK(parse_error("[profiles]\np = 1\n") == k_path + ":2: profiles.p: must be a table ([profiles.p])");
  }

  TEST_CASE("TOML syntax errors name the line and column") {
    const auto message = parse_error("[profiles.p]\nprovider = pingone\n");
    CHECK(message.rfind(k_path + ":2:12: ", 0) == 0);
  }

  TEST_CASE("credential sources are checked") {
    CHECK(parse_error("[profiles.p]\ntoken = \"abc\"\n") ==
          k_path + ":2: profiles.p.token: a secret is not written in the config file");
    CHECK(parse_error("[profiles.p]\ntoken = { env = \"A\", file = \"b\" }\n") ==
          k_path + ":2: profiles.p.token: names more than one source");
    CHECK(parse_error("[profiles.p]\ntoken = {}\n") == k_path + ":2: profiles.p.token: names no source");
    CHECK(parse_error("[profiles.p]\ntoken = { command = [] }\n") ==
          k_path + ":2: profiles.p.token.command: must be a non-empty array: the program and its arguments");
    CHECK(parse_error("[profiles.p]\ntoken = { command = \"get-token --x\" }\n") ==
          k_path + ":2: profiles.p.token.command: must be a non-empty array: the program and its arguments");
    CHECK(parse_error("[profiles.p]\ntoken = { env = \"A\", timeout = \"1s\" }\n") ==
          k_path + ":2: profiles.p.token.timeout: applies only to a command");
    CHECK(parse_error("[profiles.p]\ntoken = { command = [\"x\"], timeout = \"later\" }\n") ==
          k_path + ":2: profiles.p.token.timeout: 'later' is not a duration");
    CHECK(parse_error("[profiles.p]\ntoken = { shell = \"x\" }\n") ==
          k_path + ":2: profiles.p.token.shell: unknown key");
    CHECK(parse_error("[profiles.p]\nclient-id = \"x\"\n") ==
          k_path + ":1: profiles.p: has client-id but not client-secret");
    CHECK(parse_error("[profiles.p]\nprovider = \"thousandeyes\"\nclient-id = \"x\"\n"
                      "client-secret = { env = \"S\" }\n") ==
          k_path + ":3: profiles.p.client-id: thousandeyes does not use a client id and secret");
  }

  TEST_CASE("the config is found: --config, AUDITFETCH_CONFIG, XDG_CONFIG_HOME, HOME") {
    const auto env = env_of({{"AUDITFETCH_CONFIG", "/e.toml"}, {"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}});
    auto location = locate_config(std::string("/f.toml"), env);
    CHECK(location.path == "/f.toml");
    CHECK(location.required);
    location = locate_config(std::nullopt, env);
    CHECK(location.path == "/e.toml");
    CHECK(location.source == "AUDITFETCH_CONFIG");
    CHECK(location.required);
    location = locate_config(std::nullopt, env_of({{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}}));
    CHECK(location.path == "/x/auditfetch/config.toml");
    CHECK_FALSE(location.required);
    location = locate_config(std::nullopt, env_of({{"HOME", "/h"}}));
    CHECK(location.path == "/h/.config/auditfetch/config.toml");
  }

  TEST_CASE("a missing default config is no config; a missing named one is an error") {
    ConfigLocation absent{"/nonexistent/auditfetch/config.toml", "default location", false};
    CHECK_FALSE(load_config(absent, registry(), env_of({}), {}));
    absent.required = true;
    absent.source = "--config";
    CHECK_THROWS_WITH_AS(load_config(absent, registry(), env_of({}), {}),
                         "cannot read config file '/nonexistent/auditfetch/config.toml' (from "
                         "--config): No such file or directory",
                         Error);
  }

  TEST_CASE("a config file group or others can read gets one warning") {
    TempDir dir;
    std::vector<std::string> warnings;
    const Warn warn = [&](const std::string& line) { warnings.push_back(line); };
    const auto open = dir.write("open.toml", "", 0644);
    CHECK(load_config({open, "--config", true}, registry(), env_of({}), warn));
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0] == "config file " + open + " is readable by group or others (mode 0644): chmod 600 '" + open + "'");
    warnings.clear();
    const auto closed = dir.write("closed.toml", "", 0600);
    CHECK(load_config({closed, "--config", true}, registry(), env_of({}), warn));
    CHECK(warnings.empty());
  }

  TEST_CASE("the profile is --profile, then AUDITFETCH_PROFILE, then default-profile") {
    const std::optional<Config> config = parse(k_config);
    const ConfigLocation location{k_path, "default location", false};
    const auto env = env_of({{"AUDITFETCH_PROFILE", "te"}});
    CHECK(select_profile(config, location, std::string("ping-cc"), env).name == "ping-cc");
    CHECK(select_profile(config, location, std::nullopt, env).name == "te");
    const auto chosen = select_profile(config, location, std::nullopt, env_of({}));
    CHECK(chosen.name == "ping");
    CHECK(chosen.source == "default-profile, " + k_path + ":1");
    CHECK(select_profile(parse(""), location, std::nullopt, env_of({})).name.empty());
  }

  TEST_CASE("an unknown profile lists the known ones") {
    const std::optional<Config> config = parse(k_config);
    const ConfigLocation location{k_path, "default location", false};
    try {
      select_profile(config, location, std::string("prod"), env_of({}));
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      CHECK(std::string(e.what()) == "no profile 'prod' (from --profile) in " + k_path);
      CHECK(e.hint() == "profiles in " + k_path + ": ping, ping-cc, te");
    }
    CHECK_THROWS_WITH_AS(select_profile(std::nullopt, location, std::nullopt,
                                        env_of({{"AUDITFETCH_PROFILE", "prod"}})),
                         ("profile 'prod' (from AUDITFETCH_PROFILE): there is no config file at " + k_path).c_str(),
                         Error);
  }

  TEST_CASE("flags beat the environment, which beats the profile, which beats defaults") {
    const auto config = parse(k_config);
    const auto* ping = config.find("ping");
    Readers readers;
    readers.vars = {{"PINGONE_REGION", "ca"}};

    ListOptions options;
    options.common.given = {"output", "since"};
    options.common.output = "csv";
    options.query.since = "1h";
    apply_profile(ping, options.common, &options, nullptr, readers.get());
    CHECK(options.common.provider == "pingone");
    CHECK(options.common.provider_source == "provider in profile ping (" + k_path + ":4)");
    CHECK(options.common.output == std::optional<std::string>("csv")); // flag
    CHECK(options.query.since == std::optional<std::string>("1h"));    // flag
    CHECK(options.common.fields == std::optional<std::string>("id,action")); // profile
    CHECK(options.query.actions == std::vector<std::string>{"login", "login_failed"});
    CHECK(options.common.retries == 5);
    CHECK(options.common.no_remote_data);
    CHECK(options.common.timeout == "30s"); // default
    CHECK(option_source("output", options.common, ping) == "--output");
    CHECK(option_source("fields", options.common, ping) == "fields in profile ping (" + k_path + ":8)");
    CHECK(option_source("timeout", options.common, ping) == "default");

    // Settings: the environment (PINGONE_REGION) beats the profile's region; a flag beats both.
    auto context = resolve_context(registry().find("pingone"), options.common.settings,
                                   options.common.base_url, readers.get().env, &options.common.profile);
    CHECK(context.vars.at("region") == "ca");
    CHECK(context.sources.at("region") == "PINGONE_REGION");
    CHECK(context.sources.at("environment-id") == "environment-id in profile ping (" + k_path + ":5)");
    CHECK(context.base_url == "https://api.pingone.ca/v1");
    options.common.settings["region"] = "au";
    context = resolve_context(registry().find("pingone"), options.common.settings,
                              options.common.base_url, readers.get().env, &options.common.profile);
    CHECK(context.vars.at("region") == "au");
    CHECK(context.sources.at("region") == "--region");
    context = resolve_context(registry().find("pingone"), {}, std::nullopt, env_of({}),
                              &options.common.profile);
    CHECK(context.vars.at("region") == "eu");
  }

  TEST_CASE("the provider is -p, then AUDITFETCH_PROVIDER, then the profile's") {
    const auto config = parse(k_config);
    Readers readers;
    readers.vars = {{"AUDITFETCH_PROVIDER", "truto"}};
    CommonOptions common;
    apply_profile(config.find("te"), common, nullptr, nullptr, readers.get());
    CHECK(common.provider == "truto");
    CHECK(common.provider_source == "AUDITFETCH_PROVIDER");
    CommonOptions flagged;
    flagged.provider = "sailpoint";
    flagged.given = {"provider"};
    apply_profile(config.find("te"), flagged, nullptr, nullptr, readers.get());
    CHECK(flagged.provider == "sailpoint");
    // The profile's settings do not fit another provider: the error names file, line and key.
    CHECK_THROWS_WITH_AS(resolve_context(registry().find("truto"), {}, std::nullopt, env_of({}),
                                         &common.profile),
                         (k_path + ":18: aid does not apply to provider truto (profile te)").c_str(),
                         Error);
  }

  TEST_CASE("a bad value from a profile is reported with its file, line and key") {
    const auto config = parse("[profiles.p]\nprovider = \"pingone\"\nenvironment-id = \"e\"\nregion = \"mars\"\n");
    Readers readers;
    CommonOptions common;
    apply_profile(config.find("p"), common, nullptr, nullptr, readers.get());
    CHECK_THROWS_WITH_AS(resolve_context(registry().find("pingone"), {}, std::nullopt, env_of({}),
                                         &common.profile),
                         ("pingone: 'mars' is not a valid value for region in profile p (" + k_path + ":4)").c_str(),
                         Error);
  }

  TEST_CASE("the provider's own variables beat the profile's credentials, which beat the generic "
            "ones; the command runs only when needed") {
    const auto config = parse(k_config);
    Readers readers;
    CommonOptions common;
    apply_profile(config.find("ping"), common, nullptr, nullptr, readers.get());
    const auto context = resolve_context(registry().find("pingone"), {}, std::nullopt, env_of({}),
                                         &common.profile);
    const CredentialFlags flags{std::nullopt, std::nullopt, &common.profile};

    const auto& spec = *context.spec;
    const auto resolve = [&](const EnvLookup& env, bool read = true) {
      return resolve_credentials(spec.name, spec.auth, flags, context.vars, env, read).credentials;
    };
    auto from_env = resolve(env_of({{"PINGONE_ACCESS_TOKEN", "env-token"}, {"AUDITFETCH_TOKEN", "generic"}}));
    CHECK(from_env.token == "env-token");
    CHECK(readers.commands_run.empty());
    from_env = resolve(env_of({{"PINGONE_CLIENT_ID", "id"}, {"PINGONE_CLIENT_SECRET", "secret"}}));
    CHECK(from_env.client_secret == "secret");
    CHECK(readers.commands_run.empty());

    // The generic variables are passed over, and named as such; half a generic pair is no error.
    const auto passed = resolve_credentials(spec.name, spec.auth, flags, context.vars,
                                            env_of({{"AUDITFETCH_TOKEN", "generic"},
                                                    {"AUDITFETCH_CLIENT_ID", "id"}}),
                                            false);
    CHECK(passed.credentials.source == "command get-token (token in profile ping, " + k_path + ":14)");
    CHECK(passed.passed_over == std::vector<std::string>{"AUDITFETCH_TOKEN", "AUDITFETCH_CLIENT_ID"});
    CHECK(readers.commands_run.empty());

    const auto described = resolve(env_of({}), false);
    CHECK(described.token.empty());
    CHECK(described.source == "command get-token (token in profile ping, " + k_path + ":14)");
    CHECK(readers.commands_run.empty()); // describing runs nothing

    const auto from_profile = resolve(env_of({}));
    CHECK(from_profile.token == "secret-from-command"); // trimmed
    CHECK(readers.commands_run == std::vector<std::string>{"get-token"});
  }

  TEST_CASE("profile client credentials use the profile's token URL below AUDITFETCH_TOKEN_URL") {
    const auto config = parse(k_config);
    Readers readers;
    readers.vars = {{"PING_SECRET", " s3cret \n"}};
    CommonOptions common;
    apply_profile(config.find("ping-cc"), common, nullptr, nullptr, readers.get());
    const auto context = resolve_context(registry().find("pingone"), {}, std::nullopt, env_of({}),
                                         &common.profile);
    const CredentialFlags flags{std::nullopt, std::nullopt, &common.profile};
    const auto& spec = *context.spec;
    auto c = resolve_credentials(spec.name, spec.auth, flags, context.vars, env_of({})).credentials;
    CHECK(c.kind == CredentialNeeds::Kind::client_pair);
    CHECK(c.client_id == "my-client");
    CHECK(c.client_secret == "s3cret");
    CHECK(c.token_url == "https://auth.example.com/e/as/token");
    CHECK(c.token_url_source == "token-url in profile ping-cc (" + k_path + ":24)");
    c = resolve_credentials(spec.name, spec.auth, flags, context.vars,
                            env_of({{"AUDITFETCH_TOKEN_URL", "https://other/t"}}))
            .credentials;
    CHECK(c.token_url == "https://other/t");
  }

  TEST_CASE("an unset variable source names the profile, file, line and key, not a value") {
    const auto config = parse(k_config);
    Readers readers;
    try {
      read_credential(config.find("ping-cc")->credentials.at("client-secret"), "ping-cc",
                      "client-secret", readers.get());
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(std::string(e.what()) == k_path + ":26: client-secret of profile ping-cc: PING_SECRET is not set");
    }
  }

  TEST_CASE("a token file source warns when others can read it") {
    TempDir dir;
    const auto file = dir.write("token", "file-secret\n", 0644);
    const auto config = parse("[profiles.p]\ntoken = { file = \"" + file + "\" }\n");
    Readers readers;
    CHECK(read_credential(config.find("p")->credentials.at("token"), "p", "token", readers.get()) ==
          "file-secret");
    REQUIRE(readers.warnings.size() == 1);
    CHECK(readers.warnings[0].find("token file " + file + " is readable by group or others") == 0);
  }

  TEST_CASE("config show masks secrets and names each source") {
    TempDir dir;
    const auto secret_file = dir.write("token", "very-secret-token\n", 0600);
    const auto path = dir.write("config.toml",
                                "[profiles.p]\nprovider = \"pingone\"\nenvironment-id = \"e\"\n"
                                "token = { file = \"" + secret_file + "\" }\n", 0600);
    CapturingDiagnostics diagnostics;
    std::FILE* out = std::tmpfile();
    Environment environment;
    environment.env = env_of({{"AUDITFETCH_CONFIG", path}, {"AUDITFETCH_PROFILE", "p"},
                              {"PINGONE_REGION", "eu"}});
    environment.stdout_fd = fileno(out);
    environment.diagnostics = &diagnostics;
    ListOptions options;
    options.common.given = {"output"};
    options.common.output = "csv";
    CHECK(run_config_show(options, registry(), environment) == 0);
    const auto text = read_fd_file(out);
    std::fclose(out);
    CHECK(text.find("very-secret-token") == std::string::npos);
    CHECK(text.find("token           ****") != std::string::npos);
    CHECK(text.find("file " + secret_file + " (token in profile p, " + path + ":4)") != std::string::npos);
    CHECK(text.find("region          eu") != std::string::npos);
    CHECK(text.find("env PINGONE_REGION") != std::string::npos);
    CHECK(text.find("flag --output") != std::string::npos);
    CHECK(text.find("profile p (" + path + ":3)") != std::string::npos);
    CHECK(diagnostics.warnings.empty());
  }
}

TEST_SUITE("config command") {
  TEST_CASE("stdout is the secret; stderr is not captured") {
    CHECK(run_secret_command({"sh", "-c", "echo tok; echo note >&2"}, std::chrono::seconds{5}, "t") ==
          "tok\n");
  }

  TEST_CASE("no shell: arguments are passed as they are") {
    CHECK(run_secret_command({"printf", "%s|", "a b", "$HOME", ";"}, std::chrono::seconds{5}, "t") ==
          "a b|$HOME|;|");
  }

  TEST_CASE("a failing command is named, its output never") {
    try {
      run_secret_command({"sh", "-c", "echo leaked; exit 3"}, std::chrono::seconds{5}, "cfg:7: token");
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      CHECK(std::string(e.what()) == "cfg:7: token: command 'sh' failed with exit status 3");
    }
  }

  TEST_CASE("a program that does not exist is named") {
    CHECK_THROWS_WITH_AS(run_secret_command({"auditfetch-no-such-program"}, std::chrono::seconds{5}, "t"),
                         "t: command 'auditfetch-no-such-program' could not be started: No such file or directory",
                         Error);
  }

  TEST_CASE("a command over its time is killed") {
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH_AS(run_secret_command({"sleep", "10"}, std::chrono::milliseconds{200}, "t"),
                         "t: command 'sleep' did not finish within 200ms; it was stopped", Error);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds{3});
  }

  TEST_CASE("an interrupt stops the command") {
    CHECK_THROWS_AS(run_secret_command({"sleep", "10"}, std::chrono::seconds{10}, "t", [] { return true; }),
                    Error);
  }
}

TEST_SUITE("config") {
  TEST_CASE("tail takes the profile's interval and leaves its until out; get takes no filters") {
    const auto config = parse("[profiles.p]\nsince = \"1h\"\nuntil = \"now\"\ninterval = \"5s\"\n"
                              "fields = \"id\"\n");
    Readers readers;
    TailOptions tail;
    apply_profile(config.find("p"), tail.list.common, &tail.list, &tail.interval, readers.get());
    CHECK(tail.interval == "5s");
    CHECK(tail.list.query.since == std::optional<std::string>("1h"));
    CHECK_FALSE(tail.list.query.until);
    ListOptions list;
    apply_profile(config.find("p"), list.common, &list, nullptr, readers.get());
    CHECK(list.query.until == std::optional<std::string>("now"));
    GetOptions get;
    apply_profile(config.find("p"), get.common, nullptr, nullptr, readers.get());
    CHECK(get.common.fields == std::optional<std::string>("id"));
  }
}
