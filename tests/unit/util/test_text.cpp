#include "auditfetch/util/text.hpp"

#include <doctest/doctest.h>

using namespace auditfetch;

TEST_SUITE("text") {
  TEST_CASE("trim removes spaces, tabs and line ends at both ends only") {
    CHECK(trim("  a b\t\r\n") == "a b");
    CHECK(trim("\n\n") == "");
    CHECK(trim("x") == "x");
  }

  TEST_CASE("base64 and base64url") {
    CHECK(base64_encode("any carnal pleas") == "YW55IGNhcm5hbCBwbGVhcw==");
    CHECK(base64url_encode("\xfb\xff\xbf") == "-_-_");
    CHECK(base64url_encode("a") == "YQ");
    CHECK(base64_decode("YW55IGNhcm5hbCBwbGVhcw==") == "any carnal pleas");
    CHECK(base64_decode("YW55IGNhcm5hbCBwbGVhcw") == "any carnal pleas"); // padding optional
    CHECK(base64_decode("YW55\nIGNh") == "any ca");
    CHECK_FALSE(base64_decode("not base64!"));
  }

  TEST_CASE("ASCII case") {
    CHECK(ascii_lower("Link-HEADER") == "link-header");
    CHECK(iequals("X-Rate-Limit-Reset", "x-rate-limit-reset"));
    CHECK_FALSE(iequals("abc", "abd"));
    CHECK_FALSE(iequals("abc", "ab"));
  }

  TEST_CASE("a secret is redacted wherever it occurs, short words are not") {
    CHECK(redact_secret("token s3cr3t-value and s3cr3t-value", "s3cr3t-value") ==
          "token REDACTED and REDACTED");
    CHECK(redact_secret("a short one", "short") == "a short one");
  }
}
