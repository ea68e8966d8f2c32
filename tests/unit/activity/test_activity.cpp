#include "auditfetch/activity/activity.hpp"

#include "auditfetch/util/error.hpp"
#include "test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

using namespace auditfetch;

namespace {

// A record parsed as pages are; the activity points into it.
JsonDocument record(std::string_view text) {
  return test::parsed_json(text);
}

Activity full_activity(const JsonDocument& raw) {
  Activity a;
  a.id = "ev1";
  a.actor_type = "user";
  a.actor_user_id = "u1";
  a.organization = "org1";
  a.group = "g1";
  a.description = "User signed in";
  a.action = "login";
  a.entity = "u1";
  a.entity_type = "user";
  a.ip_address = "203.0.113.7";
  a.user_agent = "curl/8.0";
  a.authentication_method = "password";
  a.created_at = parse_rfc3339("2018-08-22T21:47:12.859Z");
  a.remote_data = raw.root;
  a.provider = "okta";
  a.native_action = "user.session.start";
  return a;
}

std::string names(const std::vector<Field>& fields) {
  std::string text;
  for (const Field field : fields)
    text += (text.empty() ? "" : ",") + std::string(field_name(field));
  return text;
}

Error parse_error(std::string_view list) {
  try {
    parse_fields(list);
  } catch (const Error& error) {
    return error;
  }
  FAIL("parse_fields accepted '" << list << "'");
  return Error(ErrorKind::remote, "unreachable");
}

const std::string k_valid_fields =
    "valid fields: id, actor, actor.type, actor.user, actor.user.id, organization, group, "
    "description, action, entity, entity_type, context, context.ip_address, "
    "context.user_agent, context.authentication_method, created_at, remote_data, provider, source";

} // namespace

TEST_SUITE("activity") {

TEST_CASE("the unified actions are recognised and provider actions are not") {
  CHECK(is_unified_action("login"));
  CHECK(is_unified_action("login_failed"));
  CHECK(is_unified_action("updated"));
  CHECK_FALSE(is_unified_action("user.session.start"));
  CHECK_FALSE(is_unified_action(""));
  CHECK_FALSE(is_unified_action("LOGIN"));
}

TEST_CASE("leaf fields are every scalar field in schema order") {
  CHECK(names(leaf_fields()) ==
        "id,actor.type,actor.user.id,organization,group,description,action,entity,entity_type,"
        "context.ip_address,context.user_agent,context.authentication_method,created_at,"
        "remote_data,provider,source");
}

TEST_CASE("one source prints every leaf but source; named sources print it too") {
  CHECK(names(default_leaves(true)) == names(leaf_fields()));
  CHECK(names(default_leaves(false)) ==
        "id,actor.type,actor.user.id,organization,group,description,action,entity,entity_type,"
        "context.ip_address,context.user_agent,context.authentication_method,created_at,"
        "remote_data,provider");
}

TEST_CASE("field names are dotted paths") {
  CHECK(field_name(Field::actor) == "actor");
  CHECK(field_name(Field::actor_user) == "actor.user");
  CHECK(field_name(Field::actor_user_id) == "actor.user.id");
  CHECK(field_name(Field::context_authentication_method) == "context.authentication_method");
  CHECK(field_name(Field::provider) == "provider");
}

TEST_CASE("parse_fields reads leaves in the order given") {
  CHECK(names(parse_fields("action,id,actor.user.id")) == "action,id,actor.user.id");
  CHECK(names(parse_fields("remote_data")) == "remote_data");
}

TEST_CASE("parse_fields accepts parent names") {
  CHECK(names(parse_fields("actor,actor.user,context")) == "actor,actor.user,context");
}

TEST_CASE("parse_fields trims spaces around names") {
  CHECK(names(parse_fields(" id ,\tactor.type , created_at")) == "id,actor.type,created_at");
}

TEST_CASE("parse_fields names an unknown field, suggests a close one and lists the valid ones") {
  const auto error = parse_error("id,actr.type");
  CHECK(error.kind() == ErrorKind::usage);
  CHECK(std::string(error.what()) == "--fields: unknown field 'actr.type'");
  CHECK(error.hint() == "did you mean 'actor.type'? " + k_valid_fields);
}

TEST_CASE("parse_fields suggests a nested field from its last segment") {
  CHECK(parse_error("ip_address").hint() == "did you mean 'context.ip_address'? " + k_valid_fields);
  CHECK(parse_error("user_agnt").hint() == "did you mean 'context.user_agent'? " + k_valid_fields);
}

TEST_CASE("parse_fields suggests nothing when no field is close") {
  const auto error = parse_error("zzzzzzzz");
  CHECK(std::string(error.what()) == "--fields: unknown field 'zzzzzzzz'");
  CHECK(error.hint() == k_valid_fields);
}

TEST_CASE("parse_fields rejects empty items") {
  for (const auto* list : {"", "id,,action", "id,", " , id"}) {
    CAPTURE(list);
    const auto error = parse_error(list);
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(std::string(error.what()) == "--fields: empty field name");
    CHECK(error.hint() == k_valid_fields);
  }
}

TEST_CASE("parse_fields is case sensitive") {
  CHECK(std::string(parse_error("ID").what()) == "--fields: unknown field 'ID'");
}

TEST_CASE("expand_leaves keeps the order of the selection, without duplicates") {
  CHECK(names(expand_leaves(parse_fields("action,id,action"))) == "action,id");
  CHECK(names(expand_leaves(parse_fields("provider,actor.type,id"))) == "provider,actor.type,id");
  CHECK(names(expand_leaves(parse_fields("actor.user.id,actor"))) == "actor.user.id,actor.type");
}

TEST_CASE("expand_leaves replaces parents by their leaves") {
  CHECK(names(expand_leaves({Field::actor})) == "actor.type,actor.user.id");
  CHECK(names(expand_leaves({Field::actor_user})) == "actor.user.id");
  CHECK(names(expand_leaves({Field::context, Field::context_user_agent})) ==
        "context.ip_address,context.user_agent,context.authentication_method");
}

TEST_CASE("expand_leaves of nothing is nothing") {
  CHECK(expand_leaves({}).empty());
}

TEST_CASE("field_text returns the text of every leaf") {
  const auto raw = record(R"({"eventType": "user.session.start", "n": [1, null]})");
  const auto a = full_activity(raw);
  CHECK(field_text(a, Field::id) == "ev1");
  CHECK(field_text(a, Field::actor_type) == "user");
  CHECK(field_text(a, Field::actor_user_id) == "u1");
  CHECK(field_text(a, Field::organization) == "org1");
  CHECK(field_text(a, Field::group) == "g1");
  CHECK(field_text(a, Field::description) == "User signed in");
  CHECK(field_text(a, Field::action) == "login");
  CHECK(field_text(a, Field::entity) == "u1");
  CHECK(field_text(a, Field::entity_type) == "user");
  CHECK(field_text(a, Field::context_ip_address) == "203.0.113.7");
  CHECK(field_text(a, Field::context_user_agent) == "curl/8.0");
  CHECK(field_text(a, Field::context_authentication_method) == "password");
  CHECK(field_text(a, Field::created_at) == "2018-08-22T21:47:12.859Z");
  CHECK(field_text(a, Field::remote_data) == R"({"eventType":"user.session.start","n":[1,null]})");
  CHECK(field_text(a, Field::provider) == "okta");
}

TEST_CASE("field_text of created_at always shows three fraction digits in UTC") {
  Activity a;
  a.created_at = parse_rfc3339("2024-05-01T02:00:00+02:00");
  CHECK(field_text(a, Field::created_at) == "2024-05-01T00:00:00.000Z");
}

TEST_CASE("field_text is nullopt for every null leaf, and the empty provider") {
  const Activity a;
  for (const Field leaf : leaf_fields()) {
    CAPTURE(field_name(leaf));
    CHECK_FALSE(field_text(a, leaf).has_value());
  }
}

TEST_CASE("field_text keeps empty strings") {
  Activity a;
  a.description = "";
  CHECK(field_text(a, Field::description) == "");
}

TEST_CASE("field_text of a parent field is nullopt") {
  const auto raw = record("{}");
  const auto a = full_activity(raw);
  CHECK_FALSE(field_text(a, Field::actor).has_value());
  CHECK_FALSE(field_text(a, Field::context).has_value());
}

} // TEST_SUITE
