#include "auditfetch/json/document.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

using namespace auditfetch;

namespace {

JsonDocument parsed(std::string_view text) {
  return test::parsed_json(text);
}

std::optional<std::string> text_at(std::string_view json, std::string_view pointer) {
  const auto document = parsed(json);
  const auto value = find_pointer(document.root, pointer);
  if (!value)
    return std::nullopt;
  return compact_json(*value);
}

} // namespace

TEST_SUITE("json") {
  TEST_CASE("compact text is what Boost.JSON printed before: remote_data and ids stay the same") {
    // Escapes, controls, non-ASCII, DEL, '/', numbers of every kind, nesting, empty containers.
    const std::string_view texts[] = {
        R"({"a" : [ 1, -2, 2.5, 1e2, -0.0, 0.1, 1.0, 18446744073709551615, 9223372036854775807,
            -9223372036854775808, true, false, null ], "b" : { }, "c": [], "d": ""})",
        R"("q\"b\\s\/ \b\f\n\r\t \u0001\u001f\u007f é \u00e9 \u2028 \ud83d\ude00 end")",
        R"({"nested":{"deeper":[{"x":[[]]},{}],"y":"\u0000"},"n":-0,"e":5E-324,"big":1.7976931348623157e308})",
        R"([])", R"({})", R"("")", R"(0)", R"(-1)", R"(true)", R"(null)",
    };
    for (const auto text : texts) {
      CAPTURE(text);
      CHECK(compact_json(parsed(text).root) == boost::json::serialize(boost::json::parse(text)));
    }
  }

  TEST_CASE("pointers: keys, array indices, escapes; missing steps are nothing") {
    const auto doc = R"({"a":{"b/c":1,"d~e":2,"":3},"list":[10,20,{"x":"y"}],"s":"t"})";
    CHECK(text_at(doc, "") == R"({"a":{"b/c":1,"d~e":2,"":3},"list":[10,20,{"x":"y"}],"s":"t"})");
    CHECK(text_at(doc, "/a/b~1c") == "1");
    CHECK(text_at(doc, "/a/d~0e") == "2");
    CHECK(text_at(doc, "/a/") == "3");
    CHECK(text_at(doc, "/list/0") == "10");
    CHECK(text_at(doc, "/list/2/x") == R"("y")");
    CHECK(text_at(doc, "/list/3") == std::nullopt);
    CHECK(text_at(doc, "/list/01") == std::nullopt);
    CHECK(text_at(doc, "/list/-") == std::nullopt);
    CHECK(text_at(doc, "/list/x") == std::nullopt);
    CHECK(text_at(doc, "/s/0") == std::nullopt);
    CHECK(text_at(doc, "/a/b~2") == std::nullopt);
    CHECK(text_at(doc, "/missing/x") == std::nullopt);
    CHECK(text_at(doc, "a") == std::nullopt);
  }

  TEST_CASE("an array step [key=text] picks the first element whose member is that string") {
    const auto doc = R"({"parameters":[{"name":"login_type","value":"saml"},{"name":"is_suspicious","boolValue":false},
                          {"name":"login_type","value":"second"},{"name":7},"text",{"name":"a=b","value":"eq"}]})";
    CHECK(text_at(doc, "/parameters/[name=login_type]/value") == R"("saml")");
    CHECK(text_at(doc, "/parameters/[name=is_suspicious]/boolValue") == "false");
    CHECK(text_at(doc, "/parameters/[name=a=b]/value") == R"("eq")"); // the first '=' splits
    CHECK(text_at(doc, "/parameters/[name=missing]/value") == std::nullopt);
    CHECK(text_at(doc, "/parameters/[name=7]") == std::nullopt); // a number is not the string "7"
    CHECK(text_at(doc, "/parameters/[name=login_type") == std::nullopt);
    CHECK(text_at(R"({"o":{"[name=x]":1}})", "/o/[name=x]") == "1"); // on an object it is a key
  }

  TEST_CASE("of duplicate keys the last one counts, as with Boost.JSON") {
    CHECK(text_at(R"({"id":"first","id":"last"})", "/id") == R"("last")");
  }

  TEST_CASE("invalid JSON and nesting deeper than 64 levels are refused with a reason") {
    std::string error;
    CHECK_FALSE(parse_json("{\"a\":", error));
    CHECK_FALSE(error.empty());
    error.clear();
    CHECK_FALSE(parse_json(std::string(65, '[') + std::string(65, ']'), error));
    CHECK_FALSE(error.empty());
    CHECK(parse_json(std::string(64, '[') + std::string(64, ']'), error));
    CHECK_FALSE(parse_json("{\"a\":\"\xff\"", error)); // invalid, repair or not
  }

  TEST_CASE("bytes that are not UTF-8 and half surrogate pairs become U+FFFD, not a lost page") {
    CHECK(text_at("{\"a\":\"x\xffy\xc3\"}", "/a") == "\"x\xEF\xBF\xBDy\xEF\xBF\xBD\"");
    CHECK(text_at(R"({"a":"x\ud800y"})", "/a") == "\"x\xEF\xBF\xBDy\"");
    CHECK(text_at(R"({"a":"x\udc00"})", "/a") == "\"x\xEF\xBF\xBD\"");
    CHECK(text_at(R"({"a":"\ud83d\ude00 \\ud800"})", "/a") == "\"\xF0\x9F\x98\x80 \\\\ud800\"");
    CHECK(text_at(R"({"a":"\"\ud800"})", "/a") == "\"\\\"\xEF\xBF\xBD\"");
  }

  TEST_CASE("a document outlives its parser's next use and can move") {
    auto first = parsed(R"({"k":"one"})");
    const auto second = parsed(R"({"k":"two"})");
    const auto moved = std::move(first);
    CHECK(text_at(R"({"k":"three"})", "/k") == R"("three")");
    CHECK(compact_json(*find_pointer(moved.root, "/k")) == R"("one")");
    CHECK(compact_json(*find_pointer(second.root, "/k")) == R"("two")");
  }
}

TEST_SUITE("json in place") {
  TEST_CASE("a body with room after it parses where it lies, to the same values") {
    std::string body = R"({"a":[1,"x\u00e9",{"b":null}],"c":2.5})";
    std::string error;
    const auto copied = parse_json(std::string_view(body), error);
    body.reserve(body.size() + k_json_padding);
    const auto in_place = parse_json_in_place(body, error);
    REQUIRE(copied);
    REQUIRE(in_place);
    CHECK(compact_json(in_place->root) == compact_json(copied->root));
    // Without the room it is copied first; the answer is the same.
    std::string tight(body.data(), body.size());
    tight.shrink_to_fit();
    const auto from_tight = parse_json_in_place(tight, error);
    REQUIRE(from_tight);
    CHECK(compact_json(from_tight->root) == compact_json(copied->root));
    // The repair of stray bytes works on bodies too.
    std::string stray = "{\"a\":\"\xff\"}";
    stray.reserve(stray.size() + k_json_padding);
    const auto repaired = parse_json_in_place(stray, error);
    REQUIRE(repaired);
    CHECK(compact_json(repaired->root) == "{\"a\":\"\xef\xbf\xbd\"}");
  }
}
