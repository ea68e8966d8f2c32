#include "auditfetch/commands/list.hpp"
#include "auditfetch/util/error.hpp"
#include "fakes/fake_transport.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "auditfetch/util/interrupt.hpp"

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
  void cancel() override { m_target.cancel(); }
  bool cancelled() const override { return m_target.cancelled(); }

private:
  Transport& m_target;
};

// Answers the first request with a page that has a next one, then blocks in the second until
// cancelled, as a request waiting on a slow network does.
class BlockingTransport final : public Transport {
public:
  HttpResponse send(const HttpRequest&) override {
    if (m_calls++ == 0) {
      HttpResponse response;
      response.status = 200;
      response.body = pingone_page(0, 2, false);
      return response;
    }
    std::unique_lock lock(m_mutex);
    m_blocked = true;
    m_changed.notify_all();
    m_changed.wait(lock, [&] { return m_cancelled; });
    m_returned = true;
    throw Error(ErrorKind::interrupted, "request cancelled");
  }
  void cancel() override {
    std::lock_guard lock(m_mutex);
    m_cancelled = true;
    m_changed.notify_all();
  }
  bool cancelled() const override {
    std::lock_guard lock(m_mutex);
    return m_cancelled;
  }
  void wait_blocked() {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_blocked; });
  }
  bool returned() const {
    std::lock_guard lock(m_mutex);
    return m_returned;
  }

private:
  std::atomic<int> m_calls{0};
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  bool m_blocked = false, m_cancelled = false, m_returned = false;
};

struct Run {
  FakeTransport fake;
  FakeTransport* transport = &fake;
  Transport* lent = nullptr; // another transport to lend instead of the fake
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
      return std::make_unique<ForwardingTransport>(lent ? *lent : fake);
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
    options.query.entity = "u";
    run.list(options);
    CHECK(run.diagnostics.verbose_lines.at(0) ==
          "pingone: filters pushed down: since, until, entity; applied locally: action");
  }

  TEST_CASE("a signal while the fetching thread waits on the network: cancelled, joined, then unwound") {
    Run run;
    BlockingTransport blocking;
    run.lent = &blocking;
    run.script = [](FakeTransport&) {};
    std::thread signal_sender([&] {
      blocking.wait_blocked();
      request_interrupt(SIGINT);
    });
    const auto start = std::chrono::steady_clock::now();
    try {
      run.list({});
      FAIL("not interrupted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::interrupted);
      // The thread left the transport before run_list returned: nothing of the run is used
      // after it is destroyed.
      CHECK(blocking.returned());
    }
    signal_sender.join();
    request_interrupt(0);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    CHECK(lines(run.output()) == 2);
  }

  TEST_CASE("--exec --batch: batches of N across pages, each saved once the command exits 0") {
    const std::string dir = std::filesystem::temp_directory_path() / fmt::format("auditfetch-exec-{}", ::getpid());
    std::filesystem::create_directories(dir);
    Run run;
    run.script = [](FakeTransport& t) {
      t.respond(200, pingone_page(0, 3, false));
      t.respond(200, pingone_page(3, 3, false));
      t.respond(200, pingone_page(6, 2, true));
    };
    ListOptions options;
    options.state = dir + "/state.json";
    options.exec = fmt::format("cat >> '{0}/out'; echo --- >> '{0}/out'", dir);
    options.batch = 3;
    CHECK(run.list(options) == 0);
    CHECK(run.output().empty()); // nothing on stdout
    const auto out = read_file(dir + "/out");
    CHECK(std::count(out.begin(), out.end(), '\n') == 8 + 3);
    CHECK(out.find("id-2\"") < out.find("---"));
    CHECK(out.find("id-3\"") > out.find("---"));
    const auto state = boost::json::parse(read_file(dir + "/state.json"));
    CHECK(state.at("seen").as_object().size() == 8);
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("--exec: a batch the command refuses is never recorded; those before it are") {
    const std::string dir = std::filesystem::temp_directory_path() / fmt::format("auditfetch-refuse-{}", ::getpid());
    std::filesystem::create_directories(dir);
    Run run;
    run.script = [](FakeTransport& t) {
      t.respond(200, pingone_page(0, 4, false));
      t.respond(200, pingone_page(4, 4, true));
    };
    ListOptions options;
    options.state = dir + "/state.json";
    options.exec = "grep -q '\"id-5\"' && exit 3; cat > /dev/null";
    options.batch = 4;
    options.exec_retries = 0;
    try {
      run.list(options);
      FAIL("delivered");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::remote);
      CHECK(std::string(e.what()).find("exited with status 3; the batch of 4 activities was not delivered") !=
            std::string::npos);
    }
    const auto seen = boost::json::parse(read_file(dir + "/state.json")).at("seen").as_object();
    CHECK(seen.size() == 4);
    CHECK(seen.contains("id-3"));
    CHECK_FALSE(seen.contains("id-4"));
    std::filesystem::remove_all(dir);
  }
}
