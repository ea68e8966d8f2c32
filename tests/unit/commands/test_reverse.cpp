#include "commands/reverse.hpp"

#include "auditfetch/util/error.hpp"

#include <doctest/doctest.h>

#include <map>
#include <vector>

using namespace auditfetch;

namespace {

struct Quiet final : Diagnostics {
  std::vector<std::string> lines;
  void verbose(const std::string& line) override { lines.push_back(line); }
  void warning(const std::string&) override {}
  bool is_verbose() const override { return true; }
};

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(std::string(name));
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

} // namespace

TEST_SUITE("list --order, reversed here") {
  TEST_CASE("an activity encodes and decodes to the same fields and remote_data bytes") {
    std::string error;
    const std::string json = R"({"a":[1,2.5,-3,1e300,18446744073709551615,null,true],"b":"\u00e9\n\"","a":{}})";
    auto doc = parse_json(json, error);
    REQUIRE(doc);
    Activity a;
    a.id = "1";
    a.actor_user_id = std::string("u\0x", 3);
    a.action = "login";
    a.description = "";
    a.created_at = parse_rfc3339("2024-05-01T10:00:00.123Z");
    a.remote_data = doc->root;
    a.provider = "p";
    a.native_action = "user.session.start";
    std::optional<JsonDocument> held;
    const auto b = decode_activity(encode_activity(a), held);
    CHECK(b.id == a.id);
    CHECK(b.actor_type == std::nullopt);
    CHECK(b.actor_user_id == a.actor_user_id);
    CHECK(b.description == std::optional<std::string>(""));
    CHECK(b.action == a.action);
    CHECK(b.created_at == a.created_at);
    CHECK(b.provider == "p");
    CHECK(b.native_action == a.native_action);
    REQUIRE(b.remote_data);
    CHECK(compact_json(*b.remote_data) == compact_json(*a.remote_data));

    Activity empty;
    const auto c = decode_activity(encode_activity(empty), held);
    CHECK_FALSE(c.id);
    CHECK_FALSE(c.created_at);
    CHECK_FALSE(c.remote_data);
    CHECK(c.provider.empty());
  }

  TEST_CASE("the last added comes out first, up to the limit; a small threshold spills and says so") {
    for (const char* memory : {"10000", "0", "3"}) {
      CAPTURE(memory);
      Quiet diagnostics;
      ReversedActivities reversed(env_of({{"AUDITFETCH_ORDER_MEMORY", memory}}), diagnostics, "p");
      for (int i = 0; i < 10; ++i) {
        Activity a;
        a.id = std::to_string(i);
        reversed.add(a);
      }
      std::vector<std::string> ids;
      CHECK(reversed.drain(4, [&](const Activity& a) { ids.push_back(*a.id); }) == 4);
      CHECK(ids == std::vector<std::string>{"9", "8", "7", "6"});
      CHECK(diagnostics.lines.size() == (std::string(memory) == "10000" ? 0u : 1u));
    }
  }

  TEST_CASE("AUDITFETCH_ORDER_MEMORY must be a number") {
    CHECK(order_memory_items(env_of({})) == 10000);
    CHECK(order_memory_items(env_of({{"AUDITFETCH_ORDER_MEMORY", "5"}})) == 5);
    CHECK_THROWS_AS(order_memory_items(env_of({{"AUDITFETCH_ORDER_MEMORY", "5k"}})), Error);
  }
}
