#include "auditfetch/util/error.hpp"
#include "auditfetch/provider/registry.hpp"
#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace auditfetch;
using namespace auditfetch::test;

namespace {

std::string error_of(const std::string& json) {
  try {
    parse_definition(json, "test.json");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    return e.what();
  }
  return "no error";
}

const std::string k_minimal = R"({
  "name": "mini", "description": "d", "base_url": "https://example.com",
  "auth": {"scheme": "token"},
  "list": {"path": "/a", "page_size": {"param": "n", "default": 10, "max": 20},
           "pagination": {"style": "body_link", "next": "/next"}},
  "get": {"unsupported": "no endpoint"},
  "mapping": {"created_at": "/t"}
})";

} // namespace

TEST_SUITE("registry") {
  TEST_CASE("the built-in definitions load") {
    const auto& spec = registry().find("pingone");
    CHECK(spec.list.paging->describe() == "follows the next link at /_links/next/href");
    CHECK(spec.list.filter->pushable() ==
          std::vector<std::string>{"since", "until", "action", "entity", "entity_type"});
    CHECK(spec.setting("environment-id")->required);
  }

  TEST_CASE("a minimal definition parses") {
    const auto spec = parse_definition(k_minimal, "test.json");
    CHECK(spec.name == "mini");
    CHECK(spec.get.paths.empty());
  }

  TEST_CASE("a JSON syntax error names the line and column") {
    CHECK(error_of("{\n  \"name\": \"x\",\n  oops\n}") ==
          "test.json:3:3: invalid JSON: syntax error");
  }

  TEST_CASE("an unknown key names its path") {
    auto json = k_minimal;
    json.replace(json.find("\"style\""), 7, "\"styel\": 1, \"style\"");
    CHECK(error_of(json) == "test.json:5: list.pagination.styel: unknown key \"styel\"");
  }

  TEST_CASE("a wrong type names its path") {
    auto json = k_minimal;
    json.replace(json.find("10"), 2, "\"10\"");
    CHECK(error_of(json) == "test.json:4: list.page_size.default: expected a positive integer");
  }

  TEST_CASE("an unknown pagination style lists the known ones") {
    auto json = k_minimal;
    json.replace(json.find("body_link"), 9, "pages");
    CHECK(error_of(json) ==
          "test.json:5: list.pagination.style: unknown value \"pages\" (expected one of: "
          "body_cursor, body_link, checkpoint, cursor, keyset, link_header, offset)");
  }

  TEST_CASE("an action table may only name unified actions") {
    auto json = k_minimal;
    json.insert(json.rfind('}'), R"(, "actions": [{"native": "A", "unified": "logged_in"}])");
    CHECK(error_of(json) == "test.json:8: actions[0].unified: \"logged_in\" is not a unified action");
  }

  TEST_CASE("an unknown provider lists the known ones") {
    CHECK_THROWS_WITH_AS(registry().find("nosuch"), "unknown provider 'nosuch'", Error);
    try {
      registry().find("nosuch");
    } catch (const Error& e) {
      CHECK(e.hint().find("okta") != std::string::npos);
      CHECK(e.hint().find("pingone") != std::string::npos);
    }
  }
}
