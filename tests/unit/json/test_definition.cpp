#include "auditfetch/json/definition.hpp"
#include "auditfetch/util/error.hpp"

#include <doctest/doctest.h>

using namespace auditfetch;

namespace {

// Read `text` with `read` and return the error message, or "ok".
std::string problem(std::string_view text, const std::function<void(const DefNode&)>& read) {
  try {
    const auto doc = parse_definition_text(text, "def.json");
    with_definition_lines(text, "def.json", [&] { read(DefNode(doc, "")); });
  } catch (const Error& e) {
    return e.what();
  }
  return "ok";
}

} // namespace

TEST_SUITE("definition reader") {
  TEST_CASE("a problem names the file, the line and the path") {
    const std::string text = "{\n  \"list\": {\n    \"style\": 3\n  }\n}\n";
    CHECK(problem(text, [](const DefNode& root) {
            DefObject o(root);
            DefObject list(o.require("list"));
            list.require("style").string();
          }) == "def.json:3: list.style: expected a string");
  }

  TEST_CASE("unknown keys are problems, not ignored") {
    const std::string text = "{\"name\": \"x\",\n \"nmae\": \"y\"}";
    CHECK(problem(text, [](const DefNode& root) {
            DefObject o(root);
            o.require("name");
            o.done();
          }) == "def.json:2: nmae: unknown key \"nmae\"");
  }

  TEST_CASE("a template may only name declared settings") {
    TemplateScope scope;
    scope.names = {"organization-id", "tld"};
    const std::string text = "{\"a\": \"/orgs/{organization-id}\",\n \"b\": \"/orgs/{organisation-id}\"}";
    CHECK(problem(text, [&](const DefNode& root) {
            DefObject o(root);
            CHECK(o.require("a").template_text(scope) == "/orgs/{organization-id}");
            o.require("b").template_text(scope);
          }) == "def.json:2: b: template \"/orgs/{organisation-id}\" refers to {organisation-id}, "
                "which is not a setting (known: organization-id, tld)");
    CHECK(problem("{\"a\": \"/x/{id}\"}", [&](const DefNode& root) {
            DefObject(root).require("a").template_text(scope, {"id"});
          }) == "ok");
  }

  TEST_CASE("pointers start with a slash; one_of names the choices") {
    CHECK(problem("{\"p\": \"a/b\"}", [](const DefNode& root) { DefObject(root).require("p").pointer(); }) ==
          "def.json:1: p: \"a/b\" is not a JSON pointer (it must start with '/')");
    CHECK(problem("{\"s\": \"hal\"}", [](const DefNode& root) {
            DefObject(root).require("s").one_of({"body_link", "cursor"});
          }) == "def.json:1: s: unknown value \"hal\" (expected one of: body_link, cursor)");
  }

  TEST_CASE("JSON syntax errors name line and column") {
    CHECK(problem("{\n \"a\": }", [](const DefNode&) {}).rfind("def.json:2:7: invalid JSON", 0) == 0);
  }
}
