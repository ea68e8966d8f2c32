#include "auditfetch/util/error.hpp"
#include "auditfetch/http/url.hpp"

#include <doctest/doctest.h>

using namespace auditfetch;

namespace {

std::string usage_error_of(auto&& call) {
  try {
    call();
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::usage);
    return error.what();
  }
  return "no error";
}

} // namespace

TEST_SUITE("url") {

  TEST_CASE("origin_of lower-cases scheme and host and fills in the default port") {
    CHECK(origin_of("HTTPS://API.PingOne.EU/v1/environments?x=1") ==
          Origin{"https", "api.pingone.eu", 443});
    CHECK(origin_of("http://example.com/") == Origin{"http", "example.com", 80});
    CHECK(origin_of("http://example.com:/") == Origin{"http", "example.com", 80});
  }

  TEST_CASE("origin_of keeps an explicit port and strips the brackets of an IPv6 host") {
    CHECK(origin_of("https://127.0.0.1:4443/x") == Origin{"https", "127.0.0.1", 4443});
    CHECK(origin_of("http://[::1]:8080") == Origin{"http", "::1", 8080});
  }

  TEST_CASE("origin_of rejects what is not an http(s) URL, naming it without its secrets") {
    CHECK(usage_error_of([] { origin_of("ftp://example.com/", "--base-url"); }) ==
          "--base-url: 'ftp://example.com/' is not an http(s) URL");
    CHECK(usage_error_of([] { origin_of("example.com/x"); }) ==
          "URL: 'example.com/x' is not an http(s) URL");
    CHECK(usage_error_of([] { origin_of("https://u:pw@example.com:99999/?token=abc"); }) ==
          "URL: 'https://example.com:99999/?token=REDACTED' is not an http(s) URL");
    CHECK(usage_error_of([] { origin_of("https:///path"); }) ==
          "URL: 'https:///path' is not an http(s) URL");
    CHECK(usage_error_of([] { origin_of("https://exa mple.com/"); }) ==
          "URL: 'https://exa mple.com/' is not an http(s) URL");
  }

  TEST_CASE("Origin prints the port only when it is not the scheme's default") {
    CHECK(Origin{"https", "api.pingone.com", 443}.to_string() == "https://api.pingone.com");
    CHECK(Origin{"http", "127.0.0.1", 8080}.to_string() == "http://127.0.0.1:8080");
    CHECK(Origin{"https", "::1", 4443}.to_string() == "https://[::1]:4443");
  }

  TEST_CASE("loopback hosts are localhost, 127.0.0.0/8 and ::1") {
    CHECK(is_loopback_host("localhost"));
    CHECK(is_loopback_host("LocalHost"));
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("127.255.3.4"));
    CHECK(is_loopback_host("::1"));
    CHECK(is_loopback_host("[::1]"));
    CHECK_FALSE(is_loopback_host("128.0.0.1"));
    CHECK_FALSE(is_loopback_host("localhost.example.com"));
    CHECK_FALSE(is_loopback_host("::2"));
    CHECK_FALSE(is_loopback_host(""));
  }

  TEST_CASE("append_query percent-encodes everything but unreserved characters") {
    CHECK(
        append_query("https://h/v1/activities", {{"limit", "100"}, {"order", "a b+c&d=e#f%g/h"}}) ==
        "https://h/v1/activities?limit=100&order=a%20b%2Bc%26d%3De%23f%25g%2Fh");
  }

  TEST_CASE("append_query encodes a SCIM filter so a standard decoder reads it back exactly") {
    CHECK(
        append_query(
            "https://api.pingone.eu/v1/environments/e/activities",
            {{"filter",
              R"(recordedat ge "2024-05-01T00:00:00.000Z" AND action.type eq "USER.CREATED")"}}) ==
        "https://api.pingone.eu/v1/environments/e/"
        "activities?filter=recordedat%20ge%20%222024-05-01T00%3A00%3A00.000Z"
        "%22%20AND%20action.type%20eq%20%22USER.CREATED%22");
  }

  TEST_CASE("append_query encodes UTF-8 bytes and keeps the existing query and fragment") {
    CHECK(append_query("https://h/p?a=1#frag", {{"név", "Zoë"}}) ==
          "https://h/p?a=1&n%C3%A9v=Zo%C3%AB#frag");
  }

  TEST_CASE("append_query after an empty query adds no empty parameter") {
    CHECK(append_query("https://h/p?", {{"a", "5"}}) == "https://h/p?a=5");
    CHECK(set_query_param("https://h/p?", "a", "5") == "https://h/p?a=5");
  }

  TEST_CASE("append_query with no parameters returns the URL unchanged") {
    CHECK(append_query("https://h/p?a=1", {}) == "https://h/p?a=1");
  }

  TEST_CASE("set_query_param replaces the first match, drops the others and keeps the order") {
    CHECK(set_query_param("https://h/p?cursor=a&limit=5&cursor=b", "cursor", "x y") ==
          "https://h/p?cursor=x%20y&limit=5");
  }

  TEST_CASE("set_query_param appends a parameter that is not there") {
    CHECK(set_query_param("https://h/p", "cursor", "abc=") == "https://h/p?cursor=abc%3D");
  }

  TEST_CASE("resolve_url resolves references as RFC 3986 section 5.4 says") {
    const auto base = "http://a/b/c/d;p?q";
    CHECK(resolve_url(base, "g") == "http://a/b/c/g");
    CHECK(resolve_url(base, "../g") == "http://a/b/g");
    CHECK(resolve_url(base, "/g?y#s") == "http://a/g?y#s");
    CHECK(resolve_url(base, "//g") == "http://g");
    CHECK(resolve_url(base, "?y") == "http://a/b/c/d;p?y");
    CHECK(resolve_url(base, "https://other/x") == "https://other/x");
  }

  TEST_CASE("resolve_url removes dot segments that climb above the root") {
    const auto base = "http://a/b/c/d;p?q";
    CHECK(resolve_url(base, "../../../g") == "http://a/g");
    CHECK(resolve_url(base, "../../../../g") == "http://a/g");
    CHECK(resolve_url(base, "/../g") == "http://a/g");
    CHECK(resolve_url(base, "/..") == "http://a/");
    CHECK(resolve_url(base, "/..g") == "http://a/..g");
    CHECK(resolve_url(base, "/./../g") == "http://a/g");
  }

  TEST_CASE("resolve_url rejects a reference that is not a URL as a remote error") {
    try {
      resolve_url("https://h/", "http://bad host/");
      FAIL("no error");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::remote);
      CHECK(std::string(error.what()) == "'http://bad host/' is not a valid URL reference");
    }
  }

  TEST_CASE("encode_path_segment escapes slashes, spaces and reserved characters") {
    CHECK(encode_path_segment("a/b c?d#e%f+g@h") == "a%2Fb%20c%3Fd%23e%25f%2Bg%40h");
    CHECK(encode_path_segment("0f1e-2d3c_4.b~") == "0f1e-2d3c_4.b~");
  }

  TEST_CASE("redact_url removes the userinfo") {
    CHECK(redact_url("https://user:s3cret@example.com:8443/p?q=1") ==
          "https://example.com:8443/p?q=1");
  }

  TEST_CASE("redact_url replaces secret query values, matching names case-insensitively") {
    CHECK(
        redact_url("https://h/cb?state=xyz&CODE=abc&Access_Token=t%20t&limit=5&sig=&api_key") ==
        "https://h/cb?state=xyz&CODE=REDACTED&Access_Token=REDACTED&limit=5&sig=REDACTED&api_key");
  }

  TEST_CASE("redact_url leaves a URL without secrets byte-identical") {
    const std::string url = "HTTPS://Example.COM:443/a%2fb/./c?filter=a+b%20c&&x=%7e#token=1";
    CHECK(redact_url(url) == url);
  }

  TEST_CASE("redact_url drops the query of text that is not a URL") {
    CHECK(redact_url("https://user:pw@h/p q?token=abc def#x") == "https://h/p q?REDACTED");
  }

} // TEST_SUITE
