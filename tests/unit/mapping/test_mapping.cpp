#include "auditfetch/util/error.hpp"
#include "auditfetch/mapping/mapping.hpp"
#include "auditfetch/provider/actions.hpp"
#include "auditfetch/provider/registry.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace auditfetch;
using namespace auditfetch::test;
namespace json = boost::json;

namespace {

// The first record of the seed's sample response (shared/seeds/pingone-audit-activities.txt).
const char* k_seed_record = R"({"_links":{"self":{"href":"https://api.pingone.com/v1/environments/abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6/activities/a4a0a8c0-2d47-4efe-a8a5-463684f79f1c"}},"id":"a4a0a8c0-2d47-4efe-a8a5-463684f79f1c","recordedAt":"2018-08-22T21:47:12.859Z","correlationId":"B2C30206-9EE5-42DE-8B98-D8D3E4913F80","actors":{"client":{"id":"common-services-test","name":"common-services-test","type":"CLIENT"}},"action":{"type":"APPLICATION.DELETED","description":"Application Deleted"},"resources":[{"type":"APPLICATION","id":"60420de9-9d38-44c5-a2a7-4839ded541f0","name":"UPDATED_1534974432","environment":{"id":"abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"},"href":"https://api.pingone.com/v1/environments/abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6/applications/60420de9-9d38-44c5-a2a7-4839ded541f0"}],"result":{"status":"SUCCESS","description":"Deleted Application UPDATED_1534974432 of type 'SERVICE' with disabled state"}})";

// A Boost.JSON value (easy to build and change in a test) parsed as mapping reads records.
struct Doc {
  JsonDocument parsed;
  operator JsonValue() const { return parsed.root; }
};

Doc doc(const json::value& v) {
  std::string error;
  auto parsed = parse_json(json::serialize(v), error);
  REQUIRE_MESSAGE(parsed, error);
  return {std::move(*parsed)};
}

Activity map_json(const json::value& v) { return map_record(pingone_context(), doc(v)); }

} // namespace

TEST_SUITE("mapping") {
  TEST_CASE("the seed's PingOne record maps to the unified activity") {
    const auto record = json::parse(k_seed_record);
    const auto a = map_json(record);
    CHECK(a.id == "a4a0a8c0-2d47-4efe-a8a5-463684f79f1c");
    CHECK(format_rfc3339_ms(*a.created_at) == "2018-08-22T21:47:12.859Z");
    CHECK(a.action == "destroy");
    CHECK(a.native_action == "APPLICATION.DELETED");
    CHECK(a.actor_type == "system");
    CHECK(a.actor_user_id == std::nullopt);
    CHECK(a.organization == k_env_id);
    CHECK(a.group == std::nullopt);
    CHECK(a.description ==
          "Deleted Application UPDATED_1534974432 of type 'SERVICE' with disabled state");
    CHECK(a.entity == "60420de9-9d38-44c5-a2a7-4839ded541f0");
    CHECK(a.entity_type == "APPLICATION");
    CHECK(a.ip_address == std::nullopt);
    REQUIRE(a.remote_data);
    CHECK(compact_json(*a.remote_data) == json::serialize(record));
    CHECK(a.provider == "pingone");
  }

  TEST_CASE("a user actor gives user type, id and population as group") {
    const auto record = json::parse(R"({"id":"1","recordedAt":"2024-05-01T00:00:00Z",
      "actors":{"user":{"id":"u1","population":{"id":"pop"}}},
      "action":{"type":"USER.ACCESS_ALLOWED","description":"Passed role access control"}})");
    const auto a = map_json(record);
    CHECK(a.actor_type == "user");
    CHECK(a.actor_user_id == "u1");
    CHECK(a.group == "pop");
    CHECK(a.action == "login");
    CHECK(a.description == "Passed role access control"); // result.description absent
  }

  TEST_CASE("no actor on an authentication event is anonymous, otherwise system") {
    auto record = json::parse(R"({"id":"1","recordedAt":"2024-05-01T00:00:00Z",
      "action":{"type":"PASSWORD.CHECK_FAILED"}})");
    CHECK(map_json(record).actor_type == "anonymous");
    CHECK(map_json(record).action == "login_failed");
    record.as_object()["action"].as_object()["type"] = "GROUP.CREATED";
    CHECK(map_json(record).actor_type == "system");
    CHECK(map_json(record).action == "create");
  }

  TEST_CASE("the user who tried to log in is the actor, also where PingOne names them a resource") {
    // A failed password check has no actors; the user whose password was checked is resources[].
    auto record = json::parse(R"({"id":"1","recordedAt":"2024-05-01T00:00:00Z",
      "action":{"type":"PASSWORD.CHECK_FAILED"},
      "resources":[{"type":"USER","id":"u9","population":{"id":"pop"}}]})");
    auto a = map_json(record);
    CHECK(a.action == "login_failed");
    CHECK(a.actor_type == "user");
    CHECK(a.actor_user_id == "u9");
    CHECK(a.group == "pop");
    CHECK(a.entity == "u9");
    // Not for other events: a user a client created is no actor.
    record.as_object()["action"].as_object()["type"] = "USER.CREATED";
    record.as_object()["actors"] = json::parse(R"({"client":{"id":"c1","type":"CLIENT"}})");
    a = map_json(record);
    CHECK(a.actor_type == "system");
    CHECK(!a.actor_user_id);
    CHECK(!a.group);
  }

  TEST_CASE("the action table keeps raw values where nothing fits") {
    const auto& spec = registry().find("pingone");
    CHECK(unified_action(spec, "USER.CREATED") == "user_created");
    CHECK(unified_action(spec, "FLOW.CREATED") == std::nullopt);
    CHECK(unified_action(spec, "PASSWORD.RESET") == std::nullopt);
    CHECK(unified_action(spec, "SOMETHING.ELSE") == std::nullopt);
    const auto record = json::parse(R"({"id":"1","recordedAt":"2024-05-01T00:00:00Z",
      "action":{"type":"SOMETHING.ELSE"}})");
    CHECK(map_json(record).action == "SOMETHING.ELSE");
  }

  TEST_CASE("native values for a unified action are the exact ones, or none for patterns") {
    const auto& spec = registry().find("pingone");
    CHECK(native_actions_for(spec, "login_failed") ==
          std::vector<std::string>{"USER.ACCESS_DENIED", "PASSWORD.CHECK_FAILED"});
    CHECK(native_actions_for(spec, "create") == std::nullopt);
    CHECK(native_actions_for(spec, "logout") == std::vector<std::string>{});
  }

  TEST_CASE("a timestamp that is not RFC 3339 names the field") {
    const auto record = json::parse(R"({"id":"1","recordedAt":"yesterday"})");
    CHECK_THROWS_WITH_AS(map_json(record),
                         "field \"/recordedAt\": 'yesterday' is not an RFC 3339 time", Error);
  }

  TEST_CASE("a record without its time is refused, not silently dropped by a time filter") {
    const auto record = json::parse(R"({"id":"1","action":{"type":"USER.CREATED"}})");
    CHECK_THROWS_WITH_AS(map_json(record),
                         "field \"/recordedAt\": missing; every activity needs a time", Error);
    CHECK_THROWS_AS(map_json(json::parse(R"({"id":"1","recordedAt":null})")), Error);
  }

  TEST_CASE("an object where a string belongs names the field") {
    const auto record = json::parse(R"({"id":{"x":1},"recordedAt":"2024-05-01T00:00:00Z"})");
    CHECK_THROWS_WITH_AS(map_json(record), "field \"/id\": expected a string, got an object", Error);
  }

  TEST_CASE("numbers are kept as text") {
    const auto record = json::parse(R"({"id":42,"recordedAt":"2024-05-01T00:00:00Z"})");
    CHECK(map_json(record).id == "42");
  }

  TEST_CASE("a record that is not an object is refused") {
    CHECK_THROWS_WITH_AS(map_json(json::value("x")), "a record is not a JSON object", Error);
  }

  TEST_CASE("--no-remote-data leaves remote_data null") {
    const auto record = json::parse(k_seed_record);
    MapOptions options;
    options.remote_data = false;
    CHECK(map_record(pingone_context(), doc(record), options).remote_data == std::nullopt);
  }

  TEST_CASE("glob matching") {
    CHECK(glob_match("*.CREATED", "GROUP.CREATED"));
    CHECK_FALSE(glob_match("*.CREATED", "GROUP.CREATEDX"));
    CHECK(glob_match("USER.ACCESS_*", "USER.ACCESS_"));
    CHECK(glob_match("a*b*c", "aXXbYYc"));
    CHECK_FALSE(glob_match("abc", "ABC"));
    CHECK(glob_match("login*", "LOGIN failed", true));
  }
}

TEST_SUITE("mapping") {
  TEST_CASE("ThousandEyes: event text gives the action; the id is a stable content digest") {
    const auto context = resolve_context(registry().find("thousandeyes"), {{"aid", "1234"}},
                                         std::nullopt, env_of({}));
    const auto record = json::parse(R"j({"aid":"1234","date":"2020-07-17T22:00:54Z",
      "event":"Login failed.","ipAddress":"99.128.0.0/11","uid":"1234",
      "user":"API Sandbox User (noreply@thousandeyes.com)"})j");
    const auto a = map_record(context, doc(record));
    CHECK(a.action == "login_failed");
    CHECK(a.actor_type == "user");
    CHECK(a.group == "1234");
    CHECK(a.ip_address == "99.128.0.0/11");
    REQUIRE(a.id);
    CHECK(a.id->size() == 32);
    CHECK(map_record(context, doc(json::parse(json::serialize(record)))).id == a.id);
    auto other = record;
    other.as_object()["event"] = "Logged out.";
    CHECK(map_record(context, doc(other)).id != a.id);
    CHECK(map_record(context, doc(other)).action == "logout");
  }

  TEST_CASE("ThousandEyes: a created user is user_created, another created thing is create") {
    const auto context = resolve_context(registry().find("thousandeyes"), {{"aid", "1"}},
                                         std::nullopt, env_of({}));
    auto record = json::parse(R"({"date":"2020-07-17T22:00:54Z","event":"User created.",
      "resources":[{"name":"Ann","type":"userDisplayName"}]})");
    CHECK(map_record(context, doc(record)).action == "user_created");
    CHECK(map_record(context, doc(record)).actor_type == "system");
    record.as_object()["resources"].as_array()[0].as_object()["type"] = "reportTitle";
    CHECK(map_record(context, doc(record)).action == "create");
    record.as_object()["event"] = "Something odd happened";
    CHECK(map_record(context, doc(record)).action == "Something odd happened");
  }

  TEST_CASE("SailPoint: the first item's operation gives the action, the type is native") {
    const auto context = resolve_context(registry().find("sailpoint"), {{"tenant", "acme"}},
                                         std::nullopt, env_of({}));
    const auto record = json::parse(R"({"id":"x","created":"2024-05-13T08:10:00.120Z",
      "type":"appRequest","requesterIdentitySummary":{"id":"r","identityId":"ri"},
      "targetIdentitySummary":{"id":"t","identityId":"ti"},
      "items":[{"operation":"DISABLE","attribute":"enabled","value":"false","nativeIdentity":"jdoe"}]})");
    const auto a = map_record(context, doc(record));
    CHECK(a.action == "user_deactivated");
    CHECK(a.native_action == "appRequest");
    CHECK(a.actor_user_id == "ri");
    CHECK(a.entity == "ti");
    CHECK(a.entity_type == "identity");
    CHECK(a.organization == "acme");
    CHECK(a.description == "appRequest: DISABLE enabled=false on jdoe");
    const auto bare = json::parse(R"({"id":"y","created":"2024-05-13T08:10:00Z","type":"Certification"})");
    const auto b = map_record(context, doc(bare));
    CHECK(b.action == "Certification");
    CHECK(b.actor_type == "system");
    CHECK(b.entity_type == std::nullopt);
    CHECK(b.description == "Certification");
  }

  TEST_CASE("Truto: unified values are kept and remote_data is the provider record") {
    const auto context = resolve_context(registry().find("truto"), {{"integrated-account-id", "i"}},
                                         std::nullopt, env_of({}));
    const auto record = json::parse(R"({"id":"1","actor":{"type":"user","user":{"id":"u"}},
      "action":"login","created_at":"2024-05-13T07:58:02.113Z","remote_data":{"uuid":"1"}})");
    const auto a = map_record(context, doc(record));
    CHECK(a.action == "login");
    CHECK(a.actor_type == "user");
    REQUIRE(a.remote_data);
    CHECK(compact_json(*a.remote_data) == R"({"uuid":"1"})");
  }
}

TEST_SUITE("mapping in place") {
  // Every field as printed, native_action included (it is not printed).
  std::string everything(const Activity& a) {
    std::string text;
    for (const auto field : leaf_fields())
      text += std::string(field_name(field)) + "=" + field_text(a, field).value_or("<null>") + "\n";
    return text + "native_action=" + a.native_action.value_or("<null>");
  }

  TEST_CASE("an activity mapped over the one before keeps nothing of it, for every provider") {
    const std::pair<const char*, std::map<std::string, std::string>> providers[] = {
        {"pingone", {{"environment-id", k_env_id}}},
        {"thousandeyes", {{"aid", "1234"}}},
        {"sailpoint", {{"tenant", "acme"}}},
        {"truto", {{"integrated-account-id", "i"}}}};
    for (const auto& provider : providers) {
      const std::string name = provider.first; // not a structured binding: CAPTURE takes it
      const auto& settings = provider.second;
      CAPTURE(name);
      const auto context = resolve_context(registry().find(name), settings, std::nullopt, env_of({}));
      // fmt, not operator+: g++ 12 -O2 warns falsely (array-bounds) on that chain of strings.
      const auto fixture = parsed_json(read_file(fmt::format("{}/{}/activities.json", AUDITFETCH_FIXTURES, name)));
      std::vector<JsonValue> records;
      const auto array = fixture.root.get_array().value_unsafe();
      for (const auto record : array)
        records.push_back(record);
      REQUIRE(records.size() > 2);
      // Forwards and backwards, so that records with fewer fields follow ones with more.
      for (const bool reversed : {false, true}) {
        if (reversed)
          std::reverse(records.begin(), records.end());
        Activity reused;
        for (const auto record : records) {
          for (const bool remote_data : {true, false}) {
            const MapOptions options{remote_data};
            map_record(context, record, options, reused);
            CHECK(everything(reused) == everything(map_record(context, record, options)));
          }
        }
      }
    }
  }
}

TEST_SUITE("mapping pointers") {
  TEST_CASE("each: a record fans out into one activity per element, the record's fields beside") {
    const auto spec = parse_definition(R"({
      "name": "fanout", "description": "d", "base_url": "https://example.com", "auth": {"scheme": "token"},
      "list": {"path": "/a", "pagination": {"style": "cursor", "cursor": "/next", "param": "p"}},
      "get": {"unsupported": "no endpoint"},
      "mapping": {"each": {"pointer": "/events", "as": "event"},
                  "id": {"template": "{/id/uniqueQualifier}-{#}"}, "created_at": "/id/time",
                  "native_action": "/event/name", "actor_user_id": "/actor/profileId",
                  "entity": "/event/parameters/[name=user_email]/value",
                  "authentication_method": "/event/parameters/[name=login_type]/value"}
    })", "fanout.json");
    const auto document = parsed_json(R"({"id":{"time":"2024-05-13T08:00:00.123Z","uniqueQualifier":"-42"},
      "actor":{"profileId":"1004"},
      "events":[{"name":"login_success","parameters":[{"name":"login_type","value":"saml"}]},
                {"name":"CHANGE_PASSWORD","parameters":[{"name":"user_email","value":"bob@example.com"}]}]})");
    const auto context = resolve_context(spec, {}, std::nullopt, env_of({}));
    const auto events = find_pointer(document.root, "/events")->get_array().value_unsafe();
    std::vector<Activity> activities;
    std::size_t index = 0;
    for (const auto event : events) {
      const MappingItem item{event, index++};
      Activity a;
      map_record(context, document.root, {}, a, &item);
      activities.push_back(a);
    }
    REQUIRE(activities.size() == 2);
    CHECK(activities[0].id == "-42-0");
    CHECK(activities[1].id == "-42-1");
    CHECK(activities[0].native_action == "login_success");
    CHECK(activities[1].native_action == "CHANGE_PASSWORD");
    CHECK(activities[0].authentication_method == "saml");
    CHECK(activities[0].entity == std::nullopt);
    CHECK(activities[1].entity == "bob@example.com");
    CHECK(activities[1].actor_user_id == "1004"); // outside the element: the record's
    REQUIRE(activities[1].created_at);
    CHECK(format_rfc3339_ms(*activities[1].created_at) == "2024-05-13T08:00:00.123Z");
  }

  TEST_CASE("each: \"as\" is a plain name") {
    CHECK_THROWS_WITH_AS(parse_definition(R"({
      "name": "fanout", "description": "d", "base_url": "https://example.com", "auth": {"scheme": "token"},
      "list": {"path": "/a", "pagination": {"style": "cursor", "cursor": "/next", "param": "p"}},
      "get": {"unsupported": "no endpoint"},
      "mapping": {"each": {"pointer": "/events", "as": "ev/x"}, "created_at": "/t"}
    })", "fanout.json"),
                         "fanout.json:5: mapping.each: \"as\": \"ev/x\" must be a plain name (its fields are \"/ev/x/...\")",
                         Error);
  }

  TEST_CASE("pointers read what find_pointer reads: duplicates, arrays, escapes, wide objects") {
    // Each unified field is mapped from a pointer into the record below; the expected values
    // are find_pointer's, the reference the indexed lookups must agree with.
    const auto spec = parse_definition(R"({
      "name": "pointers", "description": "d", "base_url": "https://example.com", "auth": {"scheme": "token"},
      "list": {"path": "/a", "page_size": {"param": "n", "default": 10, "max": 20},
               "pagination": {"style": "body_link", "next": "/next"}},
      "get": {"unsupported": "no endpoint"},
      "mapping": {"created_at": "/t", "id": "/dup/x", "description": "/a/b/c",
                  "entity": "/list/1/id", "entity_type": "/we~1ird/t~0il", "group": "/empty//k",
                  "organization": "/wide/k150", "ip_address": "/a/b/missing",
                  "user_agent": "/a/b/c/deeper", "authentication_method": "/s/t"}
    })", "pointers.json");
    std::string wide = R"({)";
    for (int i = 0; i < 200; ++i)
      wide += (i ? "," : "") + fmt::format(R"("k{}":"v{}")", i, i);
    wide += "}";
    const std::string text = R"({"t":"2024-01-01T00:00:00Z","dup":{"x":"first","x":"last"},
      "a":{"b":{"c":"deep"},"b":{"c":"later b"}},"list":[{"id":"zero"},{"id":"one"}],
      "we/ird":{"t~il":"escaped"},"empty":{"":{"k":"empty key"}},"s":"not an object","wide":)" +
                             wide + "}";
    const auto document = parsed_json(text);
    const auto context = resolve_context(spec, {}, std::nullopt, env_of({}));
    const auto a = map_record(context, document.root);
    const auto reference = [&](const char* pointer) -> std::optional<std::string> {
      const auto v = find_pointer(document.root, pointer);
      if (!v || !v->is_string())
        return std::nullopt;
      return std::string(v->get_string().value_unsafe());
    };
    CHECK(a.id == "last");
    CHECK(a.id == reference("/dup/x"));
    CHECK(a.description == "later b");
    CHECK(a.description == reference("/a/b/c"));
    CHECK(a.entity == "one");
    CHECK(a.entity_type == "escaped");
    CHECK(a.group == "empty key");
    CHECK(a.organization == "v150");
    CHECK(a.ip_address == std::nullopt);
    CHECK(a.user_agent == std::nullopt); // a string on the way
    CHECK(a.authentication_method == std::nullopt);
  }
}
