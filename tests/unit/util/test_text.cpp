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

  TEST_CASE("the JSON scans find the first byte of their kind, wherever it falls in a word") {
    // Against the byte-at-a-time definition: every byte value, at every offset of a text
    // longer than two words, after plain bytes.
    for (std::size_t length : {1u, 7u, 8u, 9u, 16u, 23u, 40u})
      for (std::size_t at = 0; at < length; ++at)
        for (int byte = 0; byte < 256; ++byte) {
          std::string text(length, 'a');
          text[at] = static_cast<char>(byte);
          const bool escape = byte < 0x20 || byte == '"' || byte == '\\';
          const bool high = byte >= 0x7F;
          CAPTURE(length);
          CAPTURE(at);
          CAPTURE(byte);
          REQUIRE(find_json_escape(text, 0) == (escape ? at : length));
          REQUIRE(find_del_or_high(text, 0) == (high ? at : length));
          // From a later start, the byte before it is not seen.
          REQUIRE(find_json_escape(text, at + 1) == length);
          REQUIRE(find_del_or_high(text, at + 1) == length);
        }
    // Neighbours that carry or borrow across bytes in the word arithmetic.
    CHECK(find_del_or_high(std::string("\xff\x7e" "aaaaaa"), 1) == 8);
    CHECK(find_json_escape(std::string("\x20\x1f" "aaaaaaaa"), 0) == 1);
    CHECK(find_json_escape(std::string("!#[]" "aaaaaaaa"), 0) == 12);
  }
}
