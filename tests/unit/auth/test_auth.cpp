#include "auditfetch/auth/auth.hpp"
#include "auditfetch/error.hpp"
#include "auditfetch/provider/api.hpp"
#include "fakes/fake_transport.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace auditfetch;
using namespace auditfetch::test;

namespace {

Credentials resolve(std::map<std::string, std::string> vars, CredentialFlags flags = {}) {
  const auto context = pingone_context();
  return resolve_credentials(context, flags, env_of(std::move(vars)));
}

struct Session {
  FakeTransport transport;
  CapturingDiagnostics diagnostics;
  HttpClient http{transport, diagnostics, RetryPolicy{}, [](std::chrono::milliseconds) {}};
  ProviderContext context = pingone_context();
  Authenticator auth;
  ApiSession api{context, http, auth};

  explicit Session(Credentials c) : auth(*context.spec, std::move(c), http) {}
};

Credentials client_credentials() {
  return resolve({{"PINGONE_CLIENT_ID", "id:1"}, {"PINGONE_CLIENT_SECRET", "se cret"}},
                 {std::nullopt, std::string("https://auth.example.com/env/as/token")});
}

HttpRequest list_request() {
  HttpRequest r;
  r.url = "https://api.pingone.com/v1/environments/e/activities";
  return r;
}

} // namespace

TEST_SUITE("auth") {
  TEST_CASE("AUDITFETCH_TOKEN wins over client credentials") {
    const auto c = resolve({{"AUDITFETCH_TOKEN", " tok\n"},
                            {"PINGONE_CLIENT_ID", "id"},
                            {"PINGONE_CLIENT_SECRET", "s"}});
    CHECK(c.kind == Credentials::Kind::bearer);
    CHECK(c.token == "tok");
    CHECK(c.source == "AUDITFETCH_TOKEN");
  }

  TEST_CASE("client credentials use the regional token URL of the environment") {
    const auto c = resolve({{"PINGONE_CLIENT_ID", "id"}, {"PINGONE_CLIENT_SECRET", "s"}});
    CHECK(c.kind == Credentials::Kind::client_credentials);
    CHECK(c.token_url == "https://auth.pingone.com/" + k_env_id + "/as/token");
    CHECK(c.source == "PINGONE_CLIENT_ID/PINGONE_CLIENT_SECRET");
  }

  TEST_CASE("half a client pair names the missing variable") {
    CHECK_THROWS_WITH_AS(resolve({{"AUDITFETCH_CLIENT_ID", "id"}}),
                         "pingone: AUDITFETCH_CLIENT_ID is set but AUDITFETCH_CLIENT_SECRET is not",
                         Error);
  }

  TEST_CASE("no credentials says what to set") {
    try {
      resolve({});
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      CHECK(std::string(e.what()) == "pingone: no credentials");
      CHECK(e.hint() == "set AUDITFETCH_TOKEN, or pass --token-file FILE, or set "
                        "PINGONE_ACCESS_TOKEN, or set AUDITFETCH_CLIENT_ID and "
                        "AUDITFETCH_CLIENT_SECRET, or set PINGONE_CLIENT_ID and "
                        "PINGONE_CLIENT_SECRET, or give a config profile a token or client-id "
                        "and client-secret source");
    }
  }

  TEST_CASE("an unreadable token file is named, its content never") {
    CHECK_THROWS_WITH_AS(resolve({}, {std::string("/nonexistent/token"), std::nullopt}),
                         "--token-file: cannot read '/nonexistent/token'", Error);
  }

  TEST_CASE("the token request uses HTTP Basic with form-encoded parts, and is cached") {
    Session s(client_credentials());
    s.transport.respond(200, R"({"access_token":"T1","token_type":"Bearer","expires_in":3600})");
    s.transport.respond(200, "{}");
    s.transport.respond(200, "{}");
    s.api.fetch(list_request(), Purpose::list);
    s.api.fetch(list_request(), Purpose::list);
    REQUIRE(s.transport.requests.size() == 3);
    const auto& token_request = s.transport.requests[0];
    CHECK(token_request.method == "POST");
    CHECK(token_request.url == "https://auth.example.com/env/as/token");
    CHECK(token_request.body == "grant_type=client_credentials");
    // base64("id%3A1:se+cret")
    CHECK(token_request.header("Authorization") == "Basic aWQlM0ExOnNlK2NyZXQ=");
    CHECK(s.transport.requests[1].header("Authorization") == "Bearer T1");
    CHECK(s.transport.requests[2].header("Authorization") == "Bearer T1");
  }

  TEST_CASE("a 401 renews the token once, then gives up with exit kind auth") {
    Session s(client_credentials());
    s.transport.respond(200, R"({"access_token":"T1","expires_in":3600})");
    s.transport.respond(401, R"({"code":"ACCESS_FAILED","message":"expired"})");
    s.transport.respond(200, R"({"access_token":"T2","expires_in":3600})");
    s.transport.respond(200, "{}");
    CHECK(s.api.fetch(list_request(), Purpose::list).status == 200);
    CHECK(s.transport.requests[3].header("Authorization") == "Bearer T2");

    s.transport.respond(401, R"({"code":"ACCESS_FAILED","message":"still no"})");
    try {
      s.api.fetch(list_request(), Purpose::list);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::auth);
      CHECK(std::string(e.what()) == "authentication refused (401): ACCESS_FAILED: still no");
    }
  }

  TEST_CASE("a refused static token names its variable") {
    Session s(resolve({{"AUDITFETCH_TOKEN", "bad"}}));
    s.transport.respond(401, R"({"code":"ACCESS_FAILED","message":"The request could not be completed.","details":[{"code":"INVALID_TOKEN","message":"expired"}]})");
    try {
      s.api.fetch(list_request(), Purpose::list);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::auth);
      CHECK(std::string(e.what()) == "authentication refused (401): ACCESS_FAILED: The request "
                                     "could not be completed. (INVALID_TOKEN: expired)");
      CHECK(e.hint() == "the token from AUDITFETCH_TOKEN was refused; it may be expired: set a fresh one");
    }
  }

  TEST_CASE("credentials a server echoes in its error body are redacted, even cut short") {
    const std::string token = "tok-0123456789abcdef";
    Session s(resolve({{"AUDITFETCH_TOKEN", token}}));
    s.transport.respond(401, R"({"code":"ACCESS_FAILED","message":"token tok-0123456789abcdef refused"})");
    try {
      s.api.fetch(list_request(), Purpose::list);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(std::string(e.what()) == "authentication refused (401): ACCESS_FAILED: token REDACTED refused");
    }
    // A text body is cut to 120 characters: the cut must not leave half a token behind.
    s.transport.respond(500, std::string(110, 'x') + " " + token);
    try {
      s.api.fetch(list_request(), Purpose::list);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("tok-") == std::string::npos);
    }
  }

  TEST_CASE("a refused client is an auth error naming the variables") {
    Session s(client_credentials());
    s.transport.respond(401, R"({"error":"invalid_client","error_description":"bad secret"})");
    try {
      s.api.fetch(list_request(), Purpose::list);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::auth);
      CHECK(std::string(e.what()) ==
            "token request to https://auth.example.com/env/as/token: refused (401): "
            "invalid_client: bad secret");
      CHECK(e.hint() == "check the client id and secret in PINGONE_CLIENT_ID/PINGONE_CLIENT_SECRET");
      CHECK(std::string(e.what()).find("se cret") == std::string::npos);
    }
  }

  TEST_CASE("a token endpoint that echoes the client secret has it redacted") {
    Session s(resolve({{"PINGONE_CLIENT_ID", "id"}, {"PINGONE_CLIENT_SECRET", "s3cr3t+value/xyz"}},
                      {std::nullopt, std::string("https://auth.example.com/env/as/token")}));
    s.transport.respond(401, R"({"error":"invalid_client","error_description":"secret s3cr3t+value/xyz )"
                             R"(or s3cr3t%2Bvalue%2Fxyz refused"})");
    try {
      s.api.fetch(list_request(), Purpose::list);
      FAIL("no error");
    } catch (const Error& e) {
      const std::string what = e.what();
      CHECK(what.find("s3cr3t") == std::string::npos);
      CHECK(what.find("secret REDACTED or REDACTED refused") != std::string::npos);
    }
  }

  TEST_CASE("a network failure of the token request says it was the token request") {
    Session s(client_credentials());
    for (int i = 0; i < 10; ++i)
      s.transport.fail("read auth.example.com: Connection reset by peer");
    try {
      s.api.fetch(list_request(), Purpose::list);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::remote);
      CHECK(std::string(e.what()).rfind("token request to https://auth.example.com/env/as/token: ", 0) == 0);
    }
  }

  TEST_CASE("statuses map to documented error kinds") {
    Session s(resolve({{"AUDITFETCH_TOKEN", "t"}}));
    s.transport.respond(404, R"({"code":"NOT_FOUND","message":"nope"})");
    CHECK_THROWS_WITH_AS(s.api.fetch(list_request(), Purpose::get), "no such activity (NOT_FOUND: nope)", Error);
    s.transport.respond(400, R"({"code":"INVALID_DATA","message":"bad","details":[{"code":"INVALID_FILTER","message":"x"}]})");
    try {
      s.api.fetch(list_request(), Purpose::list);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::usage);
      CHECK(std::string(e.what()) == "the API rejected the request (400): INVALID_DATA: bad (INVALID_FILTER: x)");
    }
    s.transport.respond(403, "{}");
    try {
      s.api.fetch(list_request(), Purpose::list);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::auth);
    }
    s.transport.respond(500, "<html>\x1b[31mboom</html>");
    try {
      s.api.fetch(list_request(), Purpose::list);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::remote);
      CHECK(std::string(e.what()).find('\x1b') == std::string::npos);
    }
  }
}
