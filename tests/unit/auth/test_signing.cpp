#include "auditfetch/auth/scheme.hpp"
#include "auditfetch/auth/signing.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/text.hpp"
#include "fakes/fake_transport.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace auditfetch;
using namespace auditfetch::test;

namespace {

const std::string k_fixtures = AUDITFETCH_FIXTURES;

// The private key of the test service account (tests/fixtures/google-workspace).
std::string test_private_key() {
  const auto key = boost::json::parse(read_file(k_fixtures + "/google-workspace/service-account.json"));
  return std::string(key.at("private_key").as_string());
}

// True when `signature` is an RS256 signature of `input` by `pem`'s key, checked with the public
// half through OpenSSL's verifier (not the code under test).
bool rs256_verifies(const std::string& pem, const std::string& input, const std::string& signature) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(key);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                   reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

// base64url without padding back to bytes, through OpenSSL's decoder.
std::string base64url_decode(std::string text) {
  for (auto& c : text)
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  const auto pad = (4 - text.size() % 4) % 4;
  text.append(pad, '=');
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

HttpRequest duo_example() {
  // The signing example of Duo's Admin API reference: a form-encoded POST.
  HttpRequest r;
  r.method = "post";
  r.url = "https://API-xxxxxxxx.duosecurity.com/accounts/v1/account/list";
  r.set_header("Content-Type", "application/x-www-form-urlencoded");
  r.body = "username=root&realname=First%20Last";
  return r;
}

const std::string k_duo_ikey = "DIWJ8X6AEYOR5OMC6TQ1";
const std::string k_duo_skey = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep";

} // namespace

TEST_SUITE("signing") {
  TEST_CASE("HMAC in hex: the published vectors for SHA-1, SHA-256 and SHA-512") {
    const std::string fox = "The quick brown fox jumps over the lazy dog";
    CHECK(hmac_hex("sha1", "key", fox) == "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9");
    CHECK(hmac_hex("sha256", "key", fox) == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    CHECK(hmac_hex("sha512", "key", fox) ==
          "b42af09057bac1e2d41708e48a902e09b5ff7f12ab428a4fe86653c73dd248fb82f948a549f7b791a5b41915ee4d1ec3935357e4e2"
          "317250d0372afa2ebeeb3a");
  }

  TEST_CASE("Duo's documented example: canonical text and signature") {
    const auto text = canonical_request_v2(duo_example(), "Tue, 21 Aug 2012 17:29:18 -0000");
    CHECK(text == "Tue, 21 Aug 2012 17:29:18 -0000\nPOST\napi-xxxxxxxx.duosecurity.com\n"
                  "/accounts/v1/account/list\nrealname=First%20Last&username=root");
    CHECK(hmac_hex("sha1", k_duo_skey, text) == "2d97d6166319781b5a3a07af39d366f491234edc");
  }

  TEST_CASE("canonical query: sorted by name then value, only unreserved characters left as they are") {
    HttpRequest r;
    r.url = "https://api-x.duosecurity.com:8443/admin/v2/logs/authentication?users=b&mintime=1&users=a"
            "&q=%7E*+x%2Fy";
    const auto text = canonical_request_v2(r, "D");
    CHECK(text == "D\nGET\napi-x.duosecurity.com:8443\n/admin/v2/logs/authentication\n"
                  "mintime=1&q=~%2A%20x%2Fy&users=a&users=b");
  }

  TEST_CASE("canonical query: sorted as encoded, as Duo's clients sign it") {
    HttpRequest r;
    r.url = "https://api-x.duosecurity.com/admin/v2/logs/authentication?users=DUzz&users=DU%C3%AB&q=a-b&q=a%2Fb";
    CHECK(canonical_request_v2(r, "D") ==
          "D\nGET\napi-x.duosecurity.com\n/admin/v2/logs/authentication\nq=a%2Fb&q=a-b&users=DU%C3%AB&users=DUzz");
  }

  TEST_CASE("a relative URL cannot be signed") {
    HttpRequest r;
    r.url = "/admin/v1/users";
    CHECK_THROWS_AS(canonical_request_v2(r, "D"), Error);
  }

  TEST_CASE("a form body that is not valid percent-encoding is a usage error, not a crash") {
    HttpRequest r;
    r.method = "POST";
    r.url = "https://api-x.duosecurity.com/admin/v1/users";
    r.body = "a=%zz";
    r.set_header("Content-Type", "application/x-www-form-urlencoded");
    CHECK_THROWS_AS(canonical_request_v2(r, "D"), Error);
    r.body = "a=%41&b=2";
    CHECK(canonical_request_v2(r, "D").ends_with("\na=A&b=2"));
  }

  TEST_CASE("RFC 2822 dates as signatures use them") {
    CHECK(rfc2822_date(std::chrono::sys_seconds{std::chrono::seconds{1345570158}}) ==
          "Tue, 21 Aug 2012 17:29:18 -0000");
  }

  TEST_CASE("the hmac scheme signs each request with the integration key as Basic user") {
    const auto value = boost::json::parse(R"({"scheme":"hmac_canonical_request","digest":"sha1",
                                              "client_id_env":"DUO_IKEY","client_secret_env":"DUO_SKEY"})");
    const auto scheme = make_auth_scheme(DefNode(value, "auth"), TemplateScope{});
    FakeTransport transport;
    CapturingDiagnostics diagnostics;
    HttpClient http{transport, diagnostics};
    Credentials c;
    c.kind = CredentialNeeds::Kind::client_pair;
    c.client_id = k_duo_ikey;
    c.client_secret = k_duo_skey;
    auto request = duo_example();
    const auto authorizer = scheme->authorizer(c, {}, http);
    authorizer->authorize(request);
    const auto date = request.header("Date");
    REQUIRE(date);
    const auto signature = hmac_hex("sha1", k_duo_skey, canonical_request_v2(request, *date));
    CHECK(request.header("Authorization") == "Basic " + base64_encode(k_duo_ikey + ":" + signature));
    CHECK(transport.requests.empty()); // no token endpoint: nothing sent but the request itself
    const auto secrets = authorizer->secrets();
    CHECK(std::find(secrets.begin(), secrets.end(), k_duo_skey) != secrets.end());
  }

  TEST_CASE("a JWT's signing input is base64url of the compact header and claims, unpadded") {
    const boost::json::object header{{"alg", "RS256"}, {"typ", "JWT"}};
    const boost::json::object claims{{"iss", "a@b.c"}, {"sub", "admin@example.com"}, {"iat", 1715000000}};
    CHECK(jwt_signing_input(header, claims) ==
          "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."
          "eyJpc3MiOiJhQGIuYyIsInN1YiI6ImFkbWluQGV4YW1wbGUuY29tIiwiaWF0IjoxNzE1MDAwMDAwfQ");
  }

  TEST_CASE("RS256 signatures verify with the key's public half") {
    const auto key = test_private_key();
    const std::string input = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0";
    const auto signature = rs256_signature(key, input, "key file 'k.json'");
    CHECK(signature.size() == 256); // a 2048-bit key
    CHECK(rs256_verifies(key, input, signature));
    CHECK_FALSE(rs256_verifies(key, input + "x", signature));
  }

  TEST_CASE("a key that does not load is named, its text never") {
    const std::string bad = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n";
    try {
      rs256_signature(bad, "x", "key file 'k.json'");
      FAIL("no error");
    } catch (const Error& e) {
      const std::string what = e.what();
      CHECK(what.find("key file 'k.json'") != std::string::npos);
      CHECK(what.find("c2VjcmV0") == std::string::npos);
    }
  }

  TEST_CASE("jwt_bearer: the key file's account signs a JWT for the subject, exchanged at its token_uri") {
    const auto path = std::filesystem::temp_directory_path() / "auditfetch-test-key.json";
    auto key = boost::json::parse(read_file(k_fixtures + "/google-workspace/service-account.json")).as_object();
    key["token_uri"] = "https://oauth2.example.com/token";
    std::ofstream(path) << boost::json::serialize(key);
    const auto value = boost::json::parse(R"({"scheme":"jwt_bearer","key_file":"{credentials-file}",
                                              "claims":{"sub":"{subject}","scope":"https://s/audit"}})");
    const auto scheme = make_auth_scheme(DefNode(value, "auth"), TemplateScope{{"credentials-file", "subject"}});
    FakeTransport transport;
    CapturingDiagnostics diagnostics;
    HttpClient http{transport, diagnostics};
    transport.respond(200, R"({"access_token":"ya29.AT","expires_in":3599,"token_type":"Bearer"})");
    HttpRequest request;
    const auto authorizer =
        scheme->authorizer({}, {{"credentials-file", path.string()}, {"subject", "admin@example.com"}}, http);
    authorizer->authorize(request);
    CHECK(request.header("Authorization") == "Bearer ya29.AT");
    REQUIRE(transport.requests.size() == 1);
    const auto& sent = transport.requests[0];
    CHECK(sent.url == "https://oauth2.example.com/token");
    const std::string prefix = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    REQUIRE(sent.body.rfind(prefix, 0) == 0);
    const auto assertion = sent.body.substr(prefix.size());
    const auto dot1 = assertion.find('.');
    const auto dot2 = assertion.rfind('.');
    REQUIRE(dot1 != dot2);
    const auto claims = boost::json::parse(base64url_decode(assertion.substr(dot1 + 1, dot2 - dot1 - 1))).as_object();
    CHECK(claims.at("iss") == key.at("client_email"));
    CHECK(claims.at("sub") == "admin@example.com");
    CHECK(claims.at("scope") == "https://s/audit");
    CHECK(claims.at("aud") == "https://oauth2.example.com/token");
    CHECK(claims.at("exp").as_int64() - claims.at("iat").as_int64() == 3600);
    CHECK(rs256_verifies(std::string(key.at("private_key").as_string()), assertion.substr(0, dot2),
                         base64url_decode(assertion.substr(dot2 + 1))));
    // the key and the assertion are secrets: redacted wherever a response might echo them
    const auto secrets = authorizer->secrets();
    CHECK(std::find(secrets.begin(), secrets.end(), std::string(key.at("private_key").as_string())) != secrets.end());
    CHECK(std::find(secrets.begin(), secrets.end(), assertion) != secrets.end());
    std::filesystem::remove(path);
  }

  TEST_CASE("jwt_bearer: iss, aud, iat and exp are not the definition's to set") {
    const auto value = boost::json::parse(R"({"scheme":"jwt_bearer","key_file":"k","claims":{"aud":"x"}})");
    CHECK_THROWS_AS(make_auth_scheme(DefNode(value, "auth"), TemplateScope{}), DefinitionProblem);
  }
}
