#include "auditfetch/commands/list.hpp"
#include "auditfetch/util/error.hpp"
#include "fakes/fake_transport.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdio>
#include <unistd.h>

using namespace auditfetch;
using namespace auditfetch::test;

namespace {

// A PingOne page of `count` records numbered from `first`, with a next link unless last.
std::string pingone_page(int first, int count, bool last) {
  boost::json::array records;
  for (int i = first; i < first + count; ++i)
    records.push_back(boost::json::object{
        {"id", fmt::format("id-{}", i)},
        {"recordedAt", fmt::format("2024-05-01T00:00:{:02}.000Z", 59 - i)},
        {"action", {{"type", i % 2 ? "USER.ACCESS_ALLOWED" : "GROUP.CREATED"}}}});
  boost::json::object body{{"_embedded", {{"activities", records}}}};
  if (!last)
    body["_links"] = {{"next", {{"href", fmt::format("https://api.pingone.com/v1/environments/{}/activities?cursor={}", k_env_id, first + count)}}}};
  return boost::json::serialize(body);
}

// Lends the test's fake to a command, which owns (and destroys) its transport.
class ForwardingTransport final : public Transport {
public:
  explicit ForwardingTransport(Transport& target) : m_target(target) {}
  HttpResponse send(const HttpRequest& request) override { return m_target.send(request); }

private:
  Transport& m_target;
};

struct Run {
  FakeTransport fake;
  FakeTransport* transport = &fake;
  CapturingDiagnostics diagnostics;
  std::FILE* out = std::tmpfile();
  std::function<void(FakeTransport&)> script;

  ~Run() { std::fclose(out); }

  int list(ListOptions options) {
    options.common.provider = "pingone";
    options.common.settings = {{"environment-id", k_env_id}};
    options.common.output = options.common.output.value_or("ndjson");
    options.common.no_remote_data = true;
    Environment environment;
    environment.env = env_of({{"AUDITFETCH_TOKEN", "tok"}});
    environment.stdout_fd = fileno(out);
    environment.diagnostics = &diagnostics;
    environment.now = [] { return parse_rfc3339("2024-05-02T00:00:00Z"); };
    script(fake);
    environment.make_transport = [this](const TransportOptions&) {
      return std::make_unique<ForwardingTransport>(fake);
    };
    return run_list(options, registry(), environment);
  }

  std::string output() const {
    std::fflush(out);
    std::string text;
    char buffer[4096];
    ::lseek(fileno(out), 0, SEEK_SET);
    for (ssize_t n; (n = ::read(fileno(out), buffer, sizeof buffer)) > 0;)
      text.append(buffer, static_cast<std::size_t>(n));
    return text;
  }
};

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

} // namespace

TEST_SUITE("page loop") {
  TEST_CASE("every page is written once, in order") {
    Run run;
    run.script = [](FakeTransport& t) {
      t.respond(200, pingone_page(0, 3, false));
      t.respond(200, pingone_page(3, 3, false));
      t.respond(200, pingone_page(6, 2, true));
    };
    CHECK(run.list({}) == 0);
    const auto out = run.output();
    CHECK(lines(out) == 8);
    CHECK(out.find("\"id\":\"id-0\"") < out.find("\"id\":\"id-7\""));
    CHECK(run.transport->requests.size() == 3);
    CHECK(run.transport->requests[0].header("Authorization") == "Bearer tok");
  }

  TEST_CASE("--limit stops without another request") {
    Run run;
    run.script = [](FakeTransport& t) {
      t.respond(200, pingone_page(0, 3, false));
      t.respond(200, pingone_page(3, 3, false));
    };
    ListOptions options;
    options.query.limit = 3;
    CHECK(run.list(options) == 0);
    CHECK(lines(run.output()) == 3);
    CHECK(run.transport->requests.size() == 1);
  }

  TEST_CASE("a locally applied filter keeps fetching until the limit is met") {
    Run run;
    run.script = [](FakeTransport& t) {
      t.respond(200, pingone_page(0, 4, false)); // 2 creates
      t.respond(200, pingone_page(4, 4, false)); // 2 more
      t.respond(200, pingone_page(8, 4, true));
    };
    ListOptions options;
    options.query.limit = 3;
    options.query.actions = {"create"};
    CHECK(run.list(options) == 0);
    const auto out = run.output();
    CHECK(lines(out) == 3);
    CHECK(out.find("login") == std::string::npos);
    CHECK(run.transport->requests.size() == 2);
  }

  TEST_CASE("a failure on page 2 leaves page 1 written and the JSON array closed") {
    Run run;
    run.script = [](FakeTransport& t) {
      t.respond(200, pingone_page(0, 2, false));
      t.respond(200, "{not json");
    };
    ListOptions options;
    options.common.output = "json";
    try {
      run.list(options);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::remote);
      CHECK(std::string(e.what()).rfind("pingone: page 2: invalid JSON", 0) == 0);
    }
    const auto parsed = boost::json::parse(run.output());
    CHECK(parsed.as_array().size() == 2);
  }

  TEST_CASE("-v says which filters were pushed down") {
    Run run;
    run.script = [](FakeTransport& t) { t.respond(200, pingone_page(0, 1, true)); };
    ListOptions options;
    options.query.actions = {"create"};
    options.query.actor_id = "u";
    run.list(options);
    CHECK(run.diagnostics.verbose_lines.at(0) ==
          "pingone: filters pushed down: since, until, actor_id; applied locally: action");
  }
}
