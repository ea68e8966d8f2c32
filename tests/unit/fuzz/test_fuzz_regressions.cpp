// Inputs the fuzz targets (tests/fuzz) found crashing, kept as unit tests.
#include "auditfetch/util/error.hpp"
#include "auditfetch/provider/builtin.hpp"
#include "auditfetch/provider/registry.hpp"
#include "auditfetch/time/time.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace auditfetch;

TEST_SUITE("fuzz regressions") {
  TEST_CASE("an unknown key holding '[' is a usage error naming it, not std::invalid_argument") {
    // fuzz_definition: finding the key's line read "[x" as an array index (std::stoul threw).
    for (const auto& definition : builtin_definitions()) {
      CAPTURE(definition.file_name);
      for (const std::string where : {"{", "\"mapping\": {"}) {
        std::string text(definition.json);
        const auto pos = text.find(where);
        REQUIRE(pos != std::string::npos);
        text.insert(pos + where.size(), "\"[x\": 1,");
        try {
          parse_definition(text, "user.json");
          FAIL("accepted an unknown key");
        } catch (const Error& e) {
          CHECK(e.kind() == ErrorKind::usage);
          CHECK(std::string(e.what()).rfind("user.json:", 0) == 0);
          CHECK(std::string(e.what()).find("unknown key \"[x\"") != std::string::npos);
        }
      }
    }
  }

  TEST_CASE("NaN and infinity are not durations or ages") {
    // fuzz_time: "nanw" parsed as NaN weeks, then cast to milliseconds (undefined behaviour).
    const auto now = parse_rfc3339("2024-05-08T12:00:00Z");
    for (const char* text : {"nanw", "nan", "NaNs", "nan(1)d", "infw", "inf", "infinityms"}) {
      CAPTURE(text);
      CHECK_THROWS_AS(parse_duration(text, "--overlap"), Error);
      CHECK_THROWS_AS(parse_time_arg(text, now, "--since"), Error);
    }
  }
}
