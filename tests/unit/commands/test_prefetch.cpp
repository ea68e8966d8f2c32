#include "commands/prefetch.hpp"
#include "auditfetch/error.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using namespace auditfetch;

namespace {

HttpRequest get(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  return r;
}

// A fetch that records which thread answered which URL and fails for URLs with "fail".
struct Server {
  std::mutex mutex;
  std::vector<std::string> asked;
  std::set<std::thread::id> threads;
  std::atomic<int> in_flight{0};
  std::atomic<int> most_in_flight{0};

  Prefetcher::Fetch fetch() {
    return [this](const HttpRequest& request) {
      const int now = ++in_flight;
      most_in_flight = std::max(most_in_flight.load(), now);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      {
        std::lock_guard lock(mutex);
        asked.push_back(request.url);
        threads.insert(std::this_thread::get_id());
      }
      --in_flight;
      if (request.url.find("fail") != std::string::npos)
        throw Error(ErrorKind::remote, "HTTP 500 for " + request.url);
      HttpResponse response;
      response.status = 200;
      response.body = "body of " + request.url;
      return response;
    };
  }
};

} // namespace

TEST_SUITE("prefetch") {
  TEST_CASE("a request started ahead is answered from the prefetcher's thread") {
    Server server;
    Prefetcher prefetch(server.fetch());
    CHECK(prefetch.take(get("/1")).body == "body of /1"); // nothing started: fetched here
    prefetch.start(get("/2"));
    CHECK(prefetch.take(get("/2")).body == "body of /2");
    CHECK(server.asked == std::vector<std::string>{"/1", "/2"});
    CHECK(server.threads.size() == 2);
    CHECK(server.most_in_flight == 1); // never two requests at once on the one client
  }

  TEST_CASE("a wrong guess is waited for and dropped, errors included") {
    Server server;
    Prefetcher prefetch(server.fetch());
    prefetch.start(get("/fail-guess"));
    CHECK(prefetch.take(get("/3")).body == "body of /3");
    CHECK(server.asked == std::vector<std::string>{"/fail-guess", "/3"});
    CHECK(server.most_in_flight == 1);
  }

  TEST_CASE("the error of a request started ahead reaches take, in its turn") {
    Server server;
    Prefetcher prefetch(server.fetch());
    prefetch.start(get("/fail-2"));
    CHECK_THROWS_WITH_AS(prefetch.take(get("/fail-2")), "HTTP 500 for /fail-2", Error);
    // The prefetcher goes on working after an error.
    prefetch.start(get("/4"));
    CHECK(prefetch.take(get("/4")).body == "body of /4");
  }

  TEST_CASE("one request at a time: a second start before take is ignored") {
    Server server;
    Prefetcher prefetch(server.fetch());
    prefetch.start(get("/5"));
    prefetch.start(get("/6"));
    CHECK(prefetch.take(get("/5")).body == "body of /5");
    CHECK(server.asked == std::vector<std::string>{"/5"});
  }

  TEST_CASE("destroying it waits for a request in flight: nothing runs on after it") {
    Server server;
    {
      Prefetcher prefetch(server.fetch());
      prefetch.start(get("/7"));
      std::this_thread::sleep_for(std::chrono::milliseconds(2)); // the fetch takes 5 ms
    }
    CHECK(server.in_flight == 0);
    CHECK(server.asked.size() <= 1); // sent once, or not at all when stopped before it began
  }
}
