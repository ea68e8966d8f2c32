#include "auditfetch/util/sanitize.hpp"

#include <doctest/doctest.h>

using namespace auditfetch;

namespace {
const std::string k_fffd = "\xEF\xBF\xBD";
} // namespace

TEST_SUITE("sanitize") {

TEST_CASE("printable ASCII and valid UTF-8 pass through unchanged") {
  CHECK(sanitize_for_terminal("") == "");
  CHECK(sanitize_for_terminal("alice@example.com signed in (ok) \\ ~") ==
        "alice@example.com signed in (ok) \\ ~");
  CHECK(sanitize_for_terminal("h\u00e9llo \u65e5\u672c \U0001F600 \u2026") ==
        "h\u00e9llo \u65e5\u672c \U0001F600 \u2026");
}

TEST_CASE("TAB, CR and LF are shown as their C escapes") {
  CHECK(sanitize_for_terminal("a\tb\rc\nd") == "a\\tb\\rc\\nd");
  // CSV keeps them (quoted), and escapes everything else alike.
  CHECK(sanitize_for_terminal("a\tb\rc\nd\x1b\u202e", LineBreaks::keep) == "a\tb\rc\nd\\x1b\\u202e");
}

TEST_CASE("other C0 controls and DEL are shown as hex escapes") {
  CHECK(sanitize_for_terminal(std::string("\0\x01\x07\x08\x1b\x1f\x7f", 7)) ==
        "\\x00\\x01\\x07\\x08\\x1b\\x1f\\x7f");
}

TEST_CASE("an ANSI colour sequence loses its ESC") {
  CHECK(sanitize_for_terminal("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
}

TEST_CASE("an OSC title sequence loses its ESC and BEL") {
  CHECK(sanitize_for_terminal("\x1b]0;pwned\x07rest") == "\\x1b]0;pwned\\x07rest");
}

TEST_CASE("C1 controls are shown as code point escapes") {
  CHECK(sanitize_for_terminal("a\xC2\x80" "b\xC2\x85" "c\xC2\x9B" "d\xC2\x9F") ==
        "a\\u0080b\\u0085c\\u009bd\\u009f");
  CHECK(sanitize_for_terminal("\xC2\xA0") == "\xC2\xA0"); // no-break space is printable
}

TEST_CASE("the Unicode line and paragraph separators are shown as escapes") {
  CHECK(sanitize_for_terminal("one\u2028two\u2029three") == "one\\u2028two\\u2029three");
}

TEST_CASE("bidi controls are shown as code point escapes") {
  CHECK(sanitize_for_terminal("evil\u202Etxt.exe") == "evil\\u202etxt.exe");
  CHECK(sanitize_for_terminal("\u202A\u202B\u202C\u202D") == "\\u202a\\u202b\\u202c\\u202d");
  CHECK(sanitize_for_terminal("\u2066\u2067\u2068\u2069") == "\\u2066\\u2067\\u2068\\u2069");
  CHECK(sanitize_for_terminal("\u200E\u200F\u061C") == "\\u200e\\u200f\\u061c");
}

TEST_CASE("a stray or invalid byte becomes one U+FFFD each") {
  CHECK(sanitize_for_terminal("a\xFF" "b") == "a" + k_fffd + "b");
  CHECK(sanitize_for_terminal("\x80") == k_fffd);
  CHECK(sanitize_for_terminal("\xC1\xBF") == k_fffd + k_fffd);
}

TEST_CASE("overlong encodings are invalid") {
  CHECK(sanitize_for_terminal("\xC0\xAF") == k_fffd + k_fffd);
  CHECK(sanitize_for_terminal("\xE0\x80\xAF") == k_fffd + k_fffd + k_fffd);
  CHECK(sanitize_for_terminal("\xF0\x80\x80\xAF") == k_fffd + k_fffd + k_fffd + k_fffd);
}

TEST_CASE("UTF-16 surrogates are invalid") {
  CHECK(sanitize_for_terminal("\xED\xA0\x80") == k_fffd + k_fffd + k_fffd);
  CHECK(sanitize_for_terminal("\xED\x9F\xBF") == "\xED\x9F\xBF"); // U+D7FF
}

TEST_CASE("code points above U+10FFFF are invalid") {
  CHECK(sanitize_for_terminal("\xF4\x90\x80\x80") == k_fffd + k_fffd + k_fffd + k_fffd);
  CHECK(sanitize_for_terminal("\xF4\x8F\xBF\xBF") == "\xF4\x8F\xBF\xBF"); // U+10FFFF
  CHECK(sanitize_for_terminal("\xF5\x80\x80\x80") == k_fffd + k_fffd + k_fffd + k_fffd);
}

TEST_CASE("a truncated sequence is invalid byte by byte") {
  CHECK(sanitize_for_terminal("a\xE2\x82") == "a" + k_fffd + k_fffd);
  CHECK(sanitize_for_terminal("\xE2\x82" "b") == k_fffd + k_fffd + "b");
  CHECK(sanitize_for_terminal("\xF0\x9F\x98") == k_fffd + k_fffd + k_fffd);
}

TEST_CASE("an ESC hidden behind an invalid lead byte is still escaped") {
  CHECK(sanitize_for_terminal("\xE2\x1b[2J") == k_fffd + "\\x1b[2J");
}

TEST_CASE("display width counts one column per ordinary code point") {
  CHECK(display_width("") == 0);
  CHECK(display_width("abc") == 3);
  CHECK(display_width("h\u00e9llo") == 5);
  CHECK(display_width("\u2026") == 1);
  CHECK(display_width(k_fffd) == 1);
  CHECK(display_width("\uFF71") == 1); // halfwidth katakana
}

TEST_CASE("display width counts two columns for wide characters and emoji") {
  CHECK(display_width("\u65e5\u672c") == 4);
  CHECK(display_width("\uAC00") == 2);     // Hangul syllable
  CHECK(display_width("\uFF21") == 2);     // fullwidth A
  CHECK(display_width("\u3000") == 2);     // ideographic space
  CHECK(display_width("\U0001F600") == 2); // grinning face
  CHECK(display_width("\u2705") == 2);     // check mark button
  CHECK(display_width("\U00020000") == 2); // CJK extension B
}

TEST_CASE("display width counts nothing for combining marks and zero-width characters") {
  CHECK(display_width("e\u0301") == 1);
  CHECK(display_width("a\u200Bb") == 2);
  CHECK(display_width("\U0001F469\u200D\U0001F4BB") == 4);
  CHECK(display_width("\u2764\uFE0F") == 1);
  CHECK(display_width("\uFEFF") == 0);
}

TEST_CASE("display width counts a stray byte as one column") {
  CHECK(display_width("a\xFF" "b") == 3);
}

TEST_CASE("truncate_to_width keeps text that fits") {
  CHECK(truncate_to_width("hello", 5) == "hello");
  CHECK(truncate_to_width("hello", 50) == "hello");
  CHECK(truncate_to_width("", 0) == "");
  CHECK(truncate_to_width("\u65e5\u672c", 4) == "\u65e5\u672c");
}

TEST_CASE("truncate_to_width cuts with an ellipsis inside the width") {
  CHECK(truncate_to_width("hello", 4) == "hel\u2026");
  CHECK(truncate_to_width("hello", 1) == "\u2026");
  CHECK(truncate_to_width("hello", 0) == "");
}

TEST_CASE("truncate_to_width never splits a code point") {
  CHECK(truncate_to_width("h\u00e9llo", 3) == "h\u00e9\u2026");
  CHECK(truncate_to_width("\U0001F600\U0001F600", 3) == "\U0001F600\u2026");
}

TEST_CASE("truncate_to_width leaves a gap rather than half a wide character") {
  const auto cut = truncate_to_width("\u65e5\u672c\u8a9e\u30c6\u30ad\u30b9\u30c8", 6);
  CHECK(cut == "\u65e5\u672c\u2026");
  CHECK(display_width(cut) == 5);
}

TEST_CASE("truncate_to_width keeps combining marks with their base") {
  CHECK(truncate_to_width("e\u0301e\u0301e\u0301", 2) == "e\u0301\u2026");
}

TEST_CASE("truncate_to_width results never exceed the width") {
  const std::string text = "a\u65e5b\U0001F600c\u0301d\xFF" "e\u00e9f";
  for (std::size_t width = 0; width <= display_width(text) + 1; ++width) {
    CAPTURE(width);
    CHECK(display_width(truncate_to_width(text, width)) <= width);
  }
}

} // TEST_SUITE
