#include "auditfetch/http/types.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using namespace auditfetch;

TEST_SUITE("http types") {

  TEST_CASE("request headers are found case-insensitively, first one wins") {
    HttpRequest request;
    request.headers = {{"Accept", "application/json"}, {"X-Id", "1"}, {"x-id", "2"}};
    CHECK(request.header("accept") == "application/json");
    CHECK(request.header("X-ID") == "1");
    CHECK(request.header("Authorization") == std::nullopt);
  }

  TEST_CASE("set_header replaces every header of that name") {
    HttpRequest request;
    request.headers = {{"x-id", "1"}, {"Accept", "*/*"}, {"X-Id", "2"}};
    request.set_header("X-ID", "3");
    REQUIRE(request.headers.size() == 2);
    CHECK(request.headers[0].name == "Accept");
    CHECK(request.headers[1].name == "X-ID");
    CHECK(request.headers[1].value == "3");
  }

  TEST_CASE("remove_header removes every header of that name") {
    HttpRequest request;
    request.headers = {
        {"Authorization", "Bearer a"}, {"Accept", "*/*"}, {"authorization", "Bearer b"}};
    request.remove_header("AUTHORIZATION");
    REQUIRE(request.headers.size() == 1);
    CHECK(request.headers[0].name == "Accept");
  }

  TEST_CASE("response headers are found case-insensitively") {
    HttpResponse response;
    response.headers = {{"Retry-After", "3"}};
    CHECK(response.header("retry-after") == "3");
    CHECK(response.header("Location") == std::nullopt);
  }

  TEST_CASE("NO_PROXY matches names, their subdomains and a leading-dot form") {
    const auto no_proxy = "example.com, .internal.net";
    CHECK(host_in_no_proxy("example.com", no_proxy));
    CHECK(host_in_no_proxy("API.Example.com", no_proxy));
    CHECK(host_in_no_proxy("internal.net", no_proxy));
    CHECK(host_in_no_proxy("a.internal.net", no_proxy));
    CHECK_FALSE(host_in_no_proxy("badexample.com", no_proxy));
    CHECK_FALSE(host_in_no_proxy("example.com.evil", no_proxy));
    CHECK_FALSE(host_in_no_proxy("net", no_proxy));
  }

  TEST_CASE("NO_PROXY star matches every host") {
    CHECK(host_in_no_proxy("api.pingone.eu", "*"));
    CHECK(host_in_no_proxy("api.pingone.eu", "localhost,*"));
    CHECK_FALSE(host_in_no_proxy("api.pingone.eu", ""));
  }

  TEST_CASE("NO_PROXY entries ignore ports and accept a *. prefix and a trailing dot") {
    CHECK(host_in_no_proxy("example.com", "example.com:8080"));
    CHECK(host_in_no_proxy("a.example.com", "*.example.com"));
    CHECK(host_in_no_proxy("example.com", "example.com."));
  }

  TEST_CASE("NO_PROXY matches IP addresses, bracketed or not, and CIDR ranges") {
    CHECK(host_in_no_proxy("127.0.0.1", "localhost,127.0.0.1"));
    CHECK(host_in_no_proxy("::1", "[::1]:443"));
    CHECK(host_in_no_proxy("[::1]", "::1"));
    CHECK(host_in_no_proxy("10.1.2.3", "10.0.0.0/8"));
    CHECK_FALSE(host_in_no_proxy("11.1.2.3", "10.0.0.0/8"));
    CHECK(host_in_no_proxy("fd00::5", "fd00::/8"));
    CHECK_FALSE(host_in_no_proxy("example.com", "10.0.0.0/8"));
  }

  TEST_CASE("NO_PROXY does not treat loopback specially") {
    CHECK_FALSE(host_in_no_proxy("127.0.0.1", "example.com"));
    CHECK_FALSE(host_in_no_proxy("localhost", ""));
  }

  TEST_CASE("read_proxy_environment prefers the lower-case variables, as curl does") {
    setenv("https_proxy", "http://lower:3128", 1);
    setenv("HTTPS_PROXY", "http://upper:3128", 1);
    unsetenv("http_proxy");
    setenv("HTTP_PROXY", "http://plain:3128", 1);
    setenv("no_proxy", "", 1);
    setenv("NO_PROXY", "localhost", 1);
    TransportOptions options;
    read_proxy_environment(options);
    CHECK(options.https_proxy == "http://lower:3128");
    CHECK(options.http_proxy == "http://plain:3128");
    CHECK(options.no_proxy == "localhost");
    for (const char* name : {"https_proxy", "HTTPS_PROXY", "HTTP_PROXY", "no_proxy", "NO_PROXY"})
      unsetenv(name);
  }

} // TEST_SUITE

TEST_SUITE("body buffers") {
  TEST_CASE("a body given back is handed out again, empty, with its storage") {
    // Drain what other tests may have left.
    std::vector<std::string> drained;
    for (int i = 0; i < 8; ++i)
      drained.push_back(take_body_buffer());
    std::string body(200 * 1024, 'x');
    const auto* storage = body.data();
    give_back_body_buffer(std::move(body));
    auto again = take_body_buffer();
    CHECK(again.empty());
    CHECK(again.data() == storage);
    CHECK(again.capacity() >= 200 * 1024);
    CHECK(take_body_buffer().capacity() < 64 * 1024); // nothing else was kept
    // Small ones are not kept: a fresh string is as good.
    give_back_body_buffer(std::string(100, 'y'));
    CHECK(take_body_buffer().capacity() < 64 * 1024);
  }
}

TEST_SUITE("transport headers") {
  TEST_CASE("Host, User-Agent and Accept-Encoding, each unless the request sets it") {
    HttpRequest request;
    request.url = "https://api.example.com:8443/v1/logs?x=1";
    TransportOptions options;
    options.user_agent = "auditfetch/0.1.0";
    auto headers = transport_headers(request, options);
    REQUIRE(headers.size() == 3);
    CHECK(headers[0].name == "Host");
    CHECK(headers[0].value == "api.example.com:8443");
    CHECK(headers[1].value == "auditfetch/0.1.0");
    CHECK(headers[2].value == "gzip");
    request.url = "https://api.example.com/v1/logs";
    request.set_header("Accept-Encoding", "identity");
    options.user_agent.clear();
    headers = transport_headers(request, options);
    REQUIRE(headers.size() == 1);
    CHECK(headers[0].value == "api.example.com");
  }
}
