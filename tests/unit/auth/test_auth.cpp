#include "auditfetch/auth/scheme.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/provider/api.hpp"
#include "fakes/fake_transport.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

using namespace auditfetch;
using namespace auditfetch::test;

namespace {

ResolvedCredentials resolve_for(const ProviderContext& context,
                                std::map<std::string, std::string> vars, CredentialFlags flags = {}) {
  return resolve_credentials(context.spec->name, context.spec->auth, flags, context.vars,
                             env_of(std::move(vars)));
}

ResolvedCredentials resolve_scheme(std::map<std::string, std::string> vars, CredentialFlags flags = {}) {
  return resolve_for(pingone_context(), std::move(vars), flags);
}

Credentials resolve(std::map<std::string, std::string> vars, CredentialFlags flags = {}) {
  return resolve_scheme(std::move(vars), flags).credentials;
}

// PingOne's API session with the scheme the credentials chose.
struct Session {
  FakeTransport transport;
  CapturingDiagnostics diagnostics;
  HttpClient http{transport, diagnostics, RetryPolicy{}, [](std::chrono::milliseconds) {}};
  ProviderContext context = pingone_context();
  std::unique_ptr<Authorizer> authorizer;
  std::unique_ptr<ApiSession> session;
  ApiSession& api;

  explicit Session(ResolvedCredentials r)
      : authorizer(context.spec->auth.at(r.scheme)->authorizer(r.credentials, context.vars, http)),
        session(std::make_unique<ApiSession>(context, http, *authorizer, r.credentials)),
        api(*session) {}
};

ResolvedCredentials client_credentials() {
  return resolve_scheme({{"PINGONE_CLIENT_ID", "id:1"}, {"PINGONE_CLIENT_SECRET", "se cret"}},
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
    CHECK(c.kind == CredentialNeeds::Kind::token);
    CHECK(c.token == "tok");
    CHECK(c.source == "AUDITFETCH_TOKEN");
  }

  TEST_CASE("client credentials use the regional token URL of the environment") {
    const auto c = resolve({{"PINGONE_CLIENT_ID", "id"}, {"PINGONE_CLIENT_SECRET", "s"}});
    CHECK(c.kind == CredentialNeeds::Kind::client_pair);
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
    Session s(resolve_scheme({{"AUDITFETCH_TOKEN", "bad"}}));
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
    Session s(resolve_scheme({{"AUDITFETCH_TOKEN", token}}));
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
    Session s(resolve_scheme({{"PINGONE_CLIENT_ID", "id"}, {"PINGONE_CLIENT_SECRET", "s3cr3t+value/xyz"}},
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
    Session s(resolve_scheme({{"AUDITFETCH_TOKEN", "t"}}));
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

  TEST_CASE("generic client variables a provider cannot use are passed over, and said so when nothing else is set") {
    const auto& te = registry().find("thousandeyes");
    const auto context = resolve_context(te, {{"aid", "1"}}, std::nullopt, env_of({}));
    const auto r = resolve_for(context, {{"AUDITFETCH_CLIENT_ID", "id"}, {"AUDITFETCH_CLIENT_SECRET", "s"},
                                         {"TE_TOKEN", "tok"}});
    CHECK(r.credentials.source == "TE_TOKEN");
    try {
      resolve_for(context, {{"AUDITFETCH_CLIENT_ID", "id"}, {"AUDITFETCH_CLIENT_SECRET", "s"}});
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(std::string(e.what()) == "thousandeyes: no credentials");
      CHECK(e.hint().rfind("AUDITFETCH_CLIENT_ID is set, but thousandeyes does not use a client id "
                           "and secret; set AUDITFETCH_TOKEN",
                           0) == 0);
    }
  }
}

TEST_SUITE("auth schemes") {
  // A scheme from its definition text, with settings "domain" and "email".
  std::unique_ptr<AuthScheme> scheme(const std::string& json) {
    const auto value = boost::json::parse(json);
    TemplateScope scope;
    scope.names = {"domain", "email"};
    return make_auth_scheme(DefNode(value, "auth"), scope);
  }

  std::string authorization(const AuthScheme& s, Credentials c, const Vars& vars = {}) {
    FakeTransport transport;
    CapturingDiagnostics diagnostics;
    HttpClient http{transport, diagnostics};
    HttpRequest request;
    s.authorizer(std::move(c), vars, http)->authorize(request);
    for (const auto& h : request.headers)
      return h.name + ": " + h.value;
    return "";
  }

  TEST_CASE("a token with any prefix, or in a header of its own") {
    Credentials c;
    c.token = "00abc";
    CHECK(authorization(*scheme(R"({"scheme":"token"})"), c) == "Authorization: Bearer 00abc");
    CHECK(authorization(*scheme(R"({"scheme":"token","prefix":"SSWS"})"), c) == "Authorization: SSWS 00abc");
    CHECK(authorization(*scheme(R"({"scheme":"token","header":"X-Api-Key"})"), c) == "X-Api-Key: 00abc");
  }

  TEST_CASE("each scheme names the headers it adds with its secrets as ****, and never reads them") {
    const auto masked = [](const AuthScheme& s) {
      std::string out;
      for (const auto& h : s.masked_headers("Tue, 21 Aug 2012 17:29:18 -0000"))
        out += (out.empty() ? "" : "|") + h.name + ": " + h.value;
      return out;
    };
    CHECK(masked(*scheme(R"({"scheme":"token","prefix":"SSWS"})")) == "Authorization: SSWS ****");
    CHECK(masked(*scheme(R"({"scheme":"token","header":"X-Api-Key"})")) == "X-Api-Key: ****");
    CHECK(masked(*scheme(R"({"scheme":"basic","username":"{email}/token"})")) == "Authorization: Basic ****");
    CHECK(masked(*scheme(R"({"scheme":"hmac_canonical_request"})")) ==
          "Date: Tue, 21 Aug 2012 17:29:18 -0000|Authorization: Basic ****");
    const auto oauth = scheme(R"({"scheme":"oauth2_client_credentials","token_url":"https://{domain}/token"})");
    CHECK(masked(*oauth) == "Authorization: Bearer ****");
    Credentials c;
    c.token_url = "https://acme.example/token";
    c.token_url_source = "definition";
    CHECK(oauth->token_exchange(c, {}) == "POST https://acme.example/token (token URL from definition)");
    const auto jwt = scheme(R"({"scheme":"jwt_bearer","key_file":"{domain}"})");
    CHECK(masked(*jwt) == "Authorization: Bearer ****");
    CHECK(jwt->token_exchange({}, {{"domain", "/no/such/key.json"}}) ==
          "POST to the token_uri of the key file '/no/such/key.json' (the file is not read)");
  }

  TEST_CASE("Basic with a templated user name and the token as the password") {
    Credentials c;
    c.token = "api-token";
    // base64("ann@example.com/token:api-token")
    CHECK(authorization(*scheme(R"({"scheme":"basic","username":"{email}/token"})"), c, {{"email", "ann@example.com"}}) ==
          "Authorization: Basic YW5uQGV4YW1wbGUuY29tL3Rva2VuOmFwaS10b2tlbg==");
  }

  TEST_CASE("client credentials send extra fields, as a form or as JSON") {
    const auto graph = scheme(R"({"scheme":"oauth2_client_credentials","token_url":"https://login/{domain}/token",
                                  "client_auth":"post","fields":{"scope":"https://graph.microsoft.com/.default"}})");
    CHECK(graph->token_url_template() == "https://login/{domain}/token");
    FakeTransport transport;
    CapturingDiagnostics diagnostics;
    HttpClient http{transport, diagnostics};
    Credentials c;
    c.kind = CredentialNeeds::Kind::client_pair;
    c.client_id = "app";
    c.client_secret = "s e";
    c.token_url = "https://login/t/token";
    transport.respond(200, R"({"access_token":"AT","expires_in":3599})");
    HttpRequest request;
    graph->authorizer(c, {}, http)->authorize(request);
    CHECK(request.header("Authorization") == "Bearer AT");
    CHECK(transport.requests.at(0).body ==
          "grant_type=client_credentials&client_id=app&client_secret=s+e&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default");

    const auto auth0 = scheme(R"({"scheme":"oauth2_client_credentials","token_url":"https://{domain}/oauth/token",
                                  "client_auth":"post","body":"json","fields":{"audience":"https://{domain}/api/v2/"}})");
    transport.respond(200, R"({"access_token":"AT2"})");
    auth0->authorizer(c, {{"domain", "acme.auth0.com"}}, http)->authorize(request);
    CHECK(transport.requests.at(1).header("Content-Type") == "application/json");
    CHECK(boost::json::parse(transport.requests.at(1).body) ==
          boost::json::parse(R"({"grant_type":"client_credentials","client_id":"app","client_secret":"s e",
                                 "audience":"https://acme.auth0.com/api/v2/"})"));
  }

  TEST_CASE("a scheme's template may only name settings; unknown schemes and keys are refused") {
    CHECK_THROWS_AS(scheme(R"({"scheme":"basic","username":"{user}/token"})"), DefinitionProblem);
    CHECK_THROWS_AS(scheme(R"({"scheme":"hmac"})"), DefinitionProblem);
    CHECK_THROWS_AS(scheme(R"({"scheme":"token","prefx":"SSWS"})"), DefinitionProblem);
    CHECK_THROWS_AS(scheme(R"({"scheme":"oauth2_client_credentials","token_url":"https://x",
                               "fields":{"client_secret":"x"}})"),
                    DefinitionProblem);
  }
}
