#include "auditfetch/util/error.hpp"
#include "auditfetch/provider/builtin.hpp"
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

  TEST_CASE("every built-in definition reads whole, and its embedded summary agrees with it") {
    // A start reads only the summaries cmake/embed_providers.cmake cut out of each definition;
    // what the flags and `providers` show must be what the whole definition says.
    const auto& builtins = builtin_definitions();
    REQUIRE(builtins.size() == registry().all().size());
    for (const auto& def : builtins) {
      CAPTURE(def.file_name);
      const auto whole = parse_definition(def.json, std::string(def.file_name));
      const auto summary = parse_summary(def.summary, std::string(def.file_name));
      CHECK(summary.name == whole.name);
      CHECK(summary.description == whole.description);
      CHECK(summary.one_of == whole.one_of);
      REQUIRE(summary.settings.size() == whole.settings.size());
      for (std::size_t i = 0; i < whole.settings.size(); ++i) {
        const auto& a = summary.settings[i];
        const auto& b = whole.settings[i];
        CHECK(a.name == b.name);
        CHECK(a.env == b.env);
        CHECK(a.required == b.required);
        CHECK(a.account == b.account);
        CHECK(a.default_value == b.default_value);
        CHECK(a.help == b.help);
        CHECK(a.choices == b.choices);
      }
      // The registry reads the definition on first use, once, and hands out the same one.
      const auto* found = registry().find_if(whole.name);
      REQUIRE(found);
      CHECK(found == registry().find_if(whole.name));
      CHECK(found->base_url == whole.base_url);
      CHECK(registry().summary_if(whole.name)->name == whole.name);
    }
  }

  TEST_CASE("a definition loaded from a file replaces the built-in of its name") {
    auto r = Registry::builtin();
    const auto before = r.all().size();
    auto spec = parse_definition(std::string(k_minimal).replace(k_minimal.find("\"mini\""), 6, "\"okta\""), "okta.json");
    r.add(std::move(spec));
    CHECK(r.all().size() == before);
    CHECK(r.find("okta").origin == "okta.json");
    CHECK(r.find("OKTA").base_url == "https://example.com");
    CHECK(r.summary_if("okta")->settings.empty());
    r.add(parse_definition(k_minimal, "mini.json"));
    CHECK(r.all().size() == before + 1);
    CHECK(std::is_sorted(r.all().begin(), r.all().end(),
                         [](const auto& a, const auto& b) { return a.name < b.name; }));
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
