#include "auditfetch/output/writer.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/json/document.hpp"
#include "auditfetch/util/sanitize.hpp"
#include "fakes/string_sink.hpp"
#include "test_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

using namespace auditfetch;
using auditfetch::test::StringSink;

namespace {

// A record parsed as pages are; activities point into it.
JsonDocument parsed(std::string_view text) {
  return test::parsed_json(text);
}

const JsonDocument& raw_record() {
  static const JsonDocument raw = parsed(R"({"eventType": "user.session.start", "n": 1})");
  return raw;
}

Activity full_activity() {
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
  a.remote_data = raw_record().root;
  a.provider = "okta";
  a.native_action = "user.session.start";
  return a;
}

Activity with_id(std::string id) {
  Activity a;
  a.id = std::move(id);
  return a;
}

Activity with_description(std::string description) {
  Activity a;
  a.description = std::move(description);
  return a;
}

const std::string k_full_json =
    R"({"id":"ev1","actor":{"type":"user","user":{"id":"u1"}},"organization":"org1",)"
    R"("group":"g1","description":"User signed in","action":"login","entity":"u1",)"
    R"("entity_type":"user","context":{"ip_address":"203.0.113.7","user_agent":"curl/8.0",)"
    R"("authentication_method":"password"},"created_at":"2018-08-22T21:47:12.859Z",)"
    R"("remote_data":{"eventType":"user.session.start","n":1},"provider":"okta"})";

const std::string k_null_json =
    R"({"id":null,"actor":{"type":null,"user":{"id":null}},"organization":null,"group":null,)"
    R"("description":null,"action":null,"entity":null,"entity_type":null,)"
    R"("context":{"ip_address":null,"user_agent":null,"authentication_method":null},)"
    R"("created_at":null,"remote_data":null,"provider":null})";

const std::string k_fffd = "\xEF\xBF\xBD";

std::string json_of(const Activity& activity, const std::vector<Field>& selection = {}) {
  std::string out;
  append_activity_json(out, activity, selection);
  return out;
}

std::string write_all(const WriterOptions& options, const std::vector<Activity>& activities) {
  StringSink sink;
  const auto writer = make_writer(options, sink);
  writer->begin();
  for (const auto& activity : activities)
    writer->write(activity);
  writer->end_page();
  writer->finish();
  return sink.text();
}

WriterOptions options_for(Format format, std::vector<Field> fields = {}) {
  WriterOptions options;
  options.format = format;
  options.fields = std::move(fields);
  return options;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (auto end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

} // namespace

TEST_SUITE("output.format") {

TEST_CASE("parse_format reads the four format names") {
  CHECK(parse_format("table") == Format::table);
  CHECK(parse_format("json") == Format::json);
  CHECK(parse_format("ndjson") == Format::ndjson);
  CHECK(parse_format("csv") == Format::csv);
}

TEST_CASE("parse_format rejects anything else with a usage error") {
  try {
    parse_format("yaml");
    FAIL("accepted yaml");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::usage);
    CHECK(std::string(error.what()) == "unknown output format \"yaml\"");
    CHECK(error.hint() == "use table, json, ndjson or csv");
  }
}

} // TEST_SUITE

TEST_SUITE("output.json") {

TEST_CASE("a full activity is one compact object in schema order") {
  CHECK(json_of(full_activity()) == k_full_json);
}

TEST_CASE("an empty activity keeps every key, and actor, actor.user and context stay objects") {
  CHECK(json_of(Activity{}) == k_null_json);
}

TEST_CASE("append_activity_json appends to what the buffer holds") {
  std::string out = "prefix ";
  append_activity_json(out, with_id("a"), {Field::id});
  CHECK(out == R"(prefix {"id":"a"})");
}

TEST_CASE("a selection keeps the nested shape in the order it names the fields") {
  const auto a = full_activity();
  CHECK(json_of(a, {Field::action, Field::actor_user_id}) ==
        R"({"action":"login","actor":{"user":{"id":"u1"}}})");
  CHECK(json_of(a, {Field::actor_type}) == R"({"actor":{"type":"user"}})");
  CHECK(json_of(a, {Field::context_user_agent, Field::id}) ==
        R"({"context":{"user_agent":"curl/8.0"},"id":"ev1"})");
  CHECK(json_of(a, {Field::provider, Field::remote_data, Field::created_at}) ==
        R"({"provider":"okta","remote_data":{"eventType":"user.session.start","n":1},)"
        R"("created_at":"2018-08-22T21:47:12.859Z"})");
}

TEST_CASE("an object stands where its first selected leaf does, its leaves in selection order") {
  const auto a = full_activity();
  CHECK(json_of(a, parse_fields("context.user_agent,id,context.ip_address,actor.user.id,actor.type")) ==
        R"({"context":{"user_agent":"curl/8.0","ip_address":"203.0.113.7"},"id":"ev1",)"
        R"("actor":{"user":{"id":"u1"},"type":"user"}})");
}

TEST_CASE("remote_data escapes DEL, C1 controls and line separators like the unified fields") {
  std::string error;
  const auto raw = parse_json("{\"u\":\"a\x7f b\xc2\x9b[31m c\xe2\x80\xa8 d\xe2\x80\xa9 \xc3\xa9\"}", error);
  REQUIRE(raw);
  Activity a;
  a.remote_data = raw->root;
  CHECK(json_of(a, {Field::remote_data}) ==
        R"({"remote_data":{"u":"a\u007f b\u009b[31m c\u2028 d\u2029 )" "\xc3\xa9" R"("}})");
}

TEST_CASE("a selected parent brings its whole subtree, nulls included") {
  CHECK(json_of(Activity{}, {Field::actor}) == R"({"actor":{"type":null,"user":{"id":null}}})");
  CHECK(json_of(Activity{}, {Field::actor_user}) == R"({"actor":{"user":{"id":null}}})");
  CHECK(json_of(full_activity(), parse_fields("context,context.ip_address")) ==
        R"({"context":{"ip_address":"203.0.113.7","user_agent":"curl/8.0",)"
        R"("authentication_method":"password"}})");
}

TEST_CASE("strings escape quotes, backslashes and control characters") {
  const auto a = with_description(std::string("q\" b\\ \b\f\n\r\t \0\x01\x1b\x1f\x7f end", 21));
  CHECK(json_of(a, {Field::description}) ==
        R"({"description":"q\" b\\ \b\f\n\r\t \u0000\u0001\u001b\u001f\u007f end"})");
}

TEST_CASE("strings keep valid non-ASCII text as it is") {
  const auto a = with_description("h\u00e9llo \u65e5\u672c \U0001F600 \u202E");
  CHECK(json_of(a, {Field::description}) ==
        "{\"description\":\"h\u00e9llo \u65e5\u672c \U0001F600 \u202E\"}");
}

TEST_CASE("strings escape C1 controls and the JavaScript line separators") {
  const auto a = with_description("a\xC2\x85" "b\xC2\x9B" "c\u2028d\u2029e");
  CHECK(json_of(a, {Field::description}) ==
        R"({"description":"a\u0085b\u009bc\u2028d\u2029e"})");
}

TEST_CASE("strings replace each invalid UTF-8 byte with U+FFFD") {
  const auto a = with_description("a\xFF" "b\xC0\xAF" "c\xED\xA0\x80" "d\xE2\x82");
  const auto json = json_of(a, {Field::description});
  CHECK(json == "{\"description\":\"a" + k_fffd + "b" + k_fffd + k_fffd + "c" + k_fffd + k_fffd +
                    k_fffd + "d" + k_fffd + k_fffd + "\"}");
  CHECK(boost::json::parse(json).at("description").as_string().size() == 28);
}

TEST_CASE("hostile strings still give JSON that parses back to the sanitised text") {
  const std::string hostile = "\"}\n{\"id\":\"forged\x1b]0;x\x07\xF8\x88\x80\x80\x80\\";
  const auto json = json_of(with_description(hostile), {Field::description});
  const auto parsed = boost::json::parse(json);
  CHECK(parsed.as_object().size() == 1);
  CHECK(std::string(parsed.at("description").as_string()) ==
        "\"}\n{\"id\":\"forged\x1b]0;x\x07" + k_fffd + k_fffd + k_fffd + k_fffd + k_fffd + "\\");
}

TEST_CASE("created_at matches format_rfc3339_ms across the calendar") {
  for (const auto* text :
       {"1970-01-01T00:00:00.000Z", "1969-12-31T23:59:59.999Z", "2000-02-29T12:34:56.007Z",
        "2018-08-22T21:47:12.859Z", "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"}) {
    CAPTURE(text);
    Activity a;
    a.created_at = parse_rfc3339(text);
    CHECK(json_of(a, {Field::created_at}) == std::string(R"({"created_at":")") + text + "\"}");
    CHECK(format_rfc3339_ms(*a.created_at) == text);
  }
}

TEST_CASE("created_at beyond year 9999 falls back to format_rfc3339_ms") {
  Activity a;
  a.created_at = parse_rfc3339("9999-12-31T23:59:59.999Z") + std::chrono::milliseconds{1};
  CHECK(json_of(a, {Field::created_at}) ==
        R"({"created_at":")" + format_rfc3339_ms(*a.created_at) + "\"}");
}

TEST_CASE("remote_data is the provider record serialised compactly") {
  const auto raw = parsed(R"( { "a" : [ 1, 2.5, "x\u0001" ], "b" : { } , "c": null } )");
  Activity a;
  a.remote_data = raw.root;
  CHECK(json_of(a, {Field::remote_data}) ==
        R"({"remote_data":{"a":[1,2.5E0,"x\u0001"],"b":{},"c":null}})");
}

TEST_CASE("remote_data larger than a serialiser chunk comes out whole") {
  const std::string long_text(10000, 'x');
  const auto raw = parsed(boost::json::serialize(boost::json::value{{"long", long_text}}));
  Activity a;
  a.remote_data = raw.root;
  CHECK(json_of(a, {Field::remote_data}) == R"({"remote_data":{"long":")" + long_text + "\"}}");
}

TEST_CASE("an empty provider prints as null") {
  Activity a;
  a.provider = "";
  CHECK(json_of(a, {Field::provider}) == R"({"provider":null})");
}

TEST_CASE("ndjson writes one object per line") {
  CHECK(write_all(options_for(Format::ndjson), {full_activity(), Activity{}}) ==
        k_full_json + "\n" + k_null_json + "\n");
}

TEST_CASE("ndjson writes nothing for no records") {
  CHECK(write_all(options_for(Format::ndjson), {}) == "");
}

TEST_CASE("ndjson flushes at the end of each page") {
  StringSink sink;
  const auto writer = make_writer(options_for(Format::ndjson, {Field::id}), sink);
  writer->begin();
  writer->write(with_id("1"));
  CHECK(sink.flushed() == "");
  writer->end_page();
  CHECK(sink.flushed() == "{\"id\":\"1\"}\n");
  writer->write(with_id("2"));
  writer->end_page();
  CHECK(sink.flushed() == "{\"id\":\"1\"}\n{\"id\":\"2\"}\n");
  CHECK(sink.flush_count() == 2);
}

TEST_CASE("json with no records is an empty array") {
  CHECK(write_all(options_for(Format::json), {}) == "[]\n");
}

TEST_CASE("json with one record is an array of one line") {
  CHECK(write_all(options_for(Format::json), {full_activity()}) == "[\n" + k_full_json + "\n]\n");
}

TEST_CASE("json with three records puts one per line, comma separated") {
  const auto text =
      write_all(options_for(Format::json, {Field::id}), {with_id("1"), with_id("2"), with_id("3")});
  CHECK(text == "[\n{\"id\":\"1\"},\n{\"id\":\"2\"},\n{\"id\":\"3\"}\n]\n");
  CHECK(boost::json::parse(text).as_array().size() == 3);
}

TEST_CASE("json streams records as they come and flushes per page") {
  StringSink sink;
  const auto writer = make_writer(options_for(Format::json, {Field::id}), sink);
  writer->begin();
  writer->write(with_id("1"));
  writer->end_page();
  CHECK(sink.flushed() == "[\n{\"id\":\"1\"}");
  writer->write(with_id("2"));
  writer->end_page();
  CHECK(sink.flushed() == "[\n{\"id\":\"1\"},\n{\"id\":\"2\"}");
}

TEST_CASE("json finish after an error mid-stream still closes the array") {
  StringSink sink;
  const auto writer = make_writer(options_for(Format::json, {Field::id}), sink);
  try {
    writer->begin();
    writer->write(with_id("1"));
    writer->end_page();
    writer->write(with_id("2"));
    throw Error(ErrorKind::remote, "page 2: connection reset");
  } catch (const Error&) {
    writer->finish();
  }
  CHECK(sink.flushed() == "[\n{\"id\":\"1\"},\n{\"id\":\"2\"}\n]\n");
  CHECK(boost::json::parse(sink.flushed()).as_array().size() == 2);
}

TEST_CASE("json finish without begin still writes an empty array") {
  StringSink sink;
  make_writer(options_for(Format::json), sink)->finish();
  CHECK(sink.flushed() == "[]\n");
}

TEST_CASE("json finish twice closes the array once") {
  StringSink sink;
  const auto writer = make_writer(options_for(Format::json), sink);
  writer->begin();
  writer->finish();
  writer->finish();
  CHECK(sink.flushed() == "[]\n");
}

TEST_CASE("json single_object prints exactly one object and a newline") {
  auto options = options_for(Format::json);
  options.single_object = true;
  CHECK(write_all(options, {full_activity()}) == k_full_json + "\n");
}

TEST_CASE("json single_object prints nothing when there is no object") {
  auto options = options_for(Format::json);
  options.single_object = true;
  CHECK(write_all(options, {}) == "");
}

} // TEST_SUITE

TEST_SUITE("output.csv") {

const std::string k_csv_header =
    "id,actor.type,actor.user.id,organization,group,description,action,entity,entity_type,"
    "context.ip_address,context.user_agent,context.authentication_method,created_at,"
    "remote_data,provider\r\n";

TEST_CASE("csv writes a header of every leaf and one CRLF row per activity") {
  CHECK(write_all(options_for(Format::csv), {full_activity(), Activity{}}) ==
        k_csv_header +
            "ev1,user,u1,org1,g1,User signed in,login,u1,user,203.0.113.7,curl/8.0,password,"
            "2018-08-22T21:47:12.859Z,\"{\"\"eventType\"\":\"\"user.session.start\"\","
            "\"\"n\"\":1}\",okta\r\n" +
            ",,,,,,,,,,,,,,\r\n");
}

TEST_CASE("csv with no records is the header alone") {
  CHECK(write_all(options_for(Format::csv), {}) == k_csv_header);
}

TEST_CASE("csv columns are the selected leaves in the order given") {
  CHECK(write_all(options_for(Format::csv, parse_fields("action,actor")), {full_activity()}) ==
        "action,actor.type,actor.user.id\r\nlogin,user,u1\r\n");
}

TEST_CASE("csv without headers writes the rows alone") {
  auto options = options_for(Format::csv, {Field::id});
  options.headers = false;
  CHECK(write_all(options, {with_id("1"), with_id("2")}) == "1\r\n2\r\n");
}

TEST_CASE("csv shows escape sequences and bidi controls as the table does, keeping line breaks") {
  CHECK(write_all(options_for(Format::csv, {Field::description}),
                  {with_description("evil\u202Etxt.exe \x1b]0;t\x07 \xC2\x9B" "1m"),
                   with_description("one\ntwo\tthree")}) ==
        "description\r\n"
        "evil\\u202etxt.exe \\x1b]0;t\\x07 \\u009b1m\r\n"
        "\"one\ntwo\tthree\"\r\n");
}

TEST_CASE("csv quotes cells with separators, quotes, line breaks or edge spaces") {
  const auto options = options_for(Format::csv, {Field::id, Field::description});
  CHECK(write_all(options, {with_description("a,b"), with_description("say \"hi\""),
                            with_description("one\ntwo"), with_description("cr\rhere"),
                            with_description(" padded"), with_description("padded "),
                            with_description("in side"), with_description("")}) ==
        "id,description\r\n"
        ",\"a,b\"\r\n"
        ",\"say \"\"hi\"\"\"\r\n"
        ",\"one\ntwo\"\r\n"
        ",\"cr\rhere\"\r\n"
        ",\" padded\"\r\n"
        ",\"padded \"\r\n"
        ",in side\r\n"
        ",\r\n");
}

TEST_CASE("csv defuses cells a spreadsheet would run as a formula") {
  const auto options = options_for(Format::csv, {Field::description});
  CHECK(write_all(options, {with_description("=1+2"), with_description("+1"),
                            with_description("-5"), with_description("@SUM(A1)"),
                            with_description("\tx"), with_description("\rx"),
                            with_description("=HYPERLINK(\"http://x\",\"y\")"),
                            with_description("a=b")}) ==
        "description\r\n"
        "'=1+2\r\n"
        "'+1\r\n"
        "'-5\r\n"
        "'@SUM(A1)\r\n"
        "'\tx\r\n"
        "\"'\rx\"\r\n"
        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n"
        "a=b\r\n");
}

TEST_CASE("csv replaces invalid UTF-8 with U+FFFD") {
  CHECK(write_all(options_for(Format::csv, {Field::description}), {with_description("a\xFF" "b")}) ==
        "description\r\na" + k_fffd + "b\r\n");
}

TEST_CASE("csv flushes at the end of each page") {
  StringSink sink;
  const auto writer = make_writer(options_for(Format::csv, {Field::id}), sink);
  writer->begin();
  writer->write(with_id("1"));
  writer->end_page();
  CHECK(sink.flushed() == "id\r\n1\r\n");
}

} // TEST_SUITE

TEST_SUITE("output.table") {

WriterOptions table_options(std::size_t width, std::vector<Field> fields = {}, bool color = false) {
  auto options = options_for(Format::table, std::move(fields));
  options.terminal_width = width;
  options.color = color;
  return options;
}

Activity failed_login() {
  Activity failed = full_activity();
  failed.id = "ev2";
  failed.action = "login_failed";
  failed.actor_user_id.reset();
  failed.actor_type = "anonymous";
  failed.entity_type.reset();
  failed.description = "Wrong password";
  return failed;
}

TEST_CASE("table columns are as wide as what they hold, the id second") {
  CHECK(write_all(table_options(0), {full_activity(), failed_login()}) ==
        "TIME                      ID   ACTION        ACTOR      ENTITY   IP           DESCRIPTION\n"
        "2018-08-22T21:47:12.859Z  ev1  login         u1         user:u1  203.0.113.7  User signed in\n"
        "2018-08-22T21:47:12.859Z  ev2  login_failed  anonymous  u1       203.0.113.7  Wrong password\n");
}

TEST_CASE("table shows null cells as a dash") {
  CHECK(write_all(table_options(120), {Activity{}}) ==
        "TIME  ID  ACTION  ACTOR  ENTITY  IP  DESCRIPTION\n"
        "-     -   -       -      -       -   -\n");
}

TEST_CASE("table shows an entity type alone when there is no entity") {
  Activity a;
  a.entity_type = "group";
  CHECK(lines_of(write_all(table_options(120, {}), {a}))[1] == "-     -   -       -      group   -   -");
}

TEST_CASE("table off a terminal never shortens anything") {
  Activity a = full_activity();
  a.actor_user_id = std::string(70, 'a');
  a.description = std::string(300, 'd');
  const auto text = write_all(table_options(0), {a});
  CHECK(text.find("\u2026") == std::string::npos);
  CHECK(lines_of(text)[1] == "2018-08-22T21:47:12.859Z  ev1  login   " + std::string(70, 'a') +
                                 "  user:u1  203.0.113.7  " + std::string(300, 'd'));
}

TEST_CASE("table on a terminal shortens the last column only, when that is enough") {
  Activity a = full_activity();
  a.actor_user_id = "00u1abcdefghijklmnopqrstuvwxyz";
  a.description = "A description far too long for the space that is left on this line";
  const auto text = write_all(table_options(110), {a});
  CHECK(text ==
        "TIME                      ID   ACTION  ACTOR                           ENTITY   IP           "
        "DESCRIPTION\n"
        "2018-08-22T21:47:12.859Z  ev1  login   00u1abcdefghijklmnopqrstuvwxyz  user:u1  203.0.113.7  "
        "A description fa\u2026\n");
  CHECK(display_width(lines_of(text)[1]) == 110);
}

TEST_CASE("table on a narrow terminal shortens the widest other column too, never a time or an id") {
  Activity a = full_activity();
  a.id = "a4a0a8c0-2d47-4efe-a8a5-463684f79f1c";
  a.actor_user_id = "someone.with.a.long.name@example.com";
  a.description = std::string(40, 'd');
  const auto text = write_all(table_options(140), {a});
  const auto lines = lines_of(text);
  CHECK(lines[1] == "2018-08-22T21:47:12.859Z  a4a0a8c0-2d47-4efe-a8a5-463684f79f1c  login   "
                    "someone.with.a.long.name@ex\u2026  user:u1  203.0.113.7  ddddddddddddddd\u2026");
  CHECK(display_width(lines[1]) == 140);
}

TEST_CASE("table wraps rather than cut the widest column when even that would not fit") {
  Activity a = full_activity();
  a.id = "a4a0a8c0-2d47-4efe-a8a5-463684f79f1c";
  a.actor_user_id = "someone.with.a.long.name@example.com";
  a.description = std::string(40, 'd');
  const auto lines = lines_of(write_all(table_options(100), {a}));
  CHECK(lines[1] == "2018-08-22T21:47:12.859Z  a4a0a8c0-2d47-4efe-a8a5-463684f79f1c  login   "
                    "someone.with.a.long.name@example.com  user:u1  203.0.113.7  ddddddddddddddd\u2026");
}

TEST_CASE("table with a selection shows the selected leaves in the order given") {
  CHECK(write_all(table_options(120, parse_fields("action,actor.user.id,provider")),
                  {full_activity()}) ==
        "ACTION  ACTOR.USER.ID  PROVIDER\n"
        "login   u1             okta\n");
}

TEST_CASE("table headers longer than the cells widen their column") {
  CHECK(write_all(table_options(120, {Field::context_authentication_method, Field::id}),
                  {full_activity()}) ==
        "CONTEXT.AUTHENTICATION_METHOD  ID\n"
        "password                       ev1\n");
}

TEST_CASE("table without headers writes the rows alone") {
  auto options = table_options(0, parse_fields("id,action"));
  options.headers = false;
  CHECK(write_all(options, {full_activity(), failed_login()}) ==
        "ev1  login\n"
        "ev2  login_failed\n");
}

TEST_CASE("table without colour writes no escape sequence at all") {
  Activity hostile = full_activity();
  hostile.description = "\x1b[31mred";
  const auto text = write_all(table_options(120), {full_activity(), hostile});
  CHECK(text.find('\x1b') == std::string::npos);
}

TEST_CASE("table with colour makes the header bold and colours the action") {
  Activity failed = full_activity();
  failed.action = "login_failed";
  Activity deleted = full_activity();
  deleted.action = "user_deleted";
  Activity updated = full_activity();
  updated.action = "user_updated";
  CHECK(write_all(table_options(120, {Field::id, Field::action}, true),
                  {full_activity(), failed, deleted, updated}) ==
        "\x1b[1mID\x1b[0m   \x1b[1mACTION\x1b[0m\n"
        "ev1  \x1b[32mlogin\x1b[0m\n"
        "ev1  \x1b[31mlogin_failed\x1b[0m\n"
        "ev1  \x1b[33muser_deleted\x1b[0m\n"
        "ev1  user_updated\n");
}

TEST_CASE("table shows hostile remote text as visible escapes") {
  const std::string hostile = "\x1b]0;pwned\x07\x1b[2Jok\rover \u202Etxt.exe \xC2\x9B" "1m \xFF\xFE";
  CHECK(write_all(table_options(120, {Field::description}), {with_description(hostile)}) ==
        "DESCRIPTION\n"
        "\\x1b]0;pwned\\x07\\x1b[2Jok\\rover \\u202etxt.exe \\u009b1m " + k_fffd + k_fffd + "\n");
}

TEST_CASE("table shows line breaks and tabs in a cell as escapes, keeping one row") {
  CHECK(write_all(table_options(120, {Field::description}),
                  {with_description("one\ntwo\tthree")}) ==
        "DESCRIPTION\none\\ntwo\\tthree\n");
}

TEST_CASE("table pads wide characters by their display width") {
  Activity a = full_activity();
  a.actor_user_id = "\u5c71\u7530\u592a\u90ce";
  CHECK(write_all(table_options(120, {Field::actor_user_id, Field::action}), {a}) ==
        "ACTOR.USER.ID  ACTION\n"
        "\u5c71\u7530\u592a\u90ce       login\n");
}

TEST_CASE("table cuts wide characters without passing the column width") {
  Activity a = full_activity();
  a.description = std::string("\u5c71\u7530\u592a\u90ce") + "\u5c71\u7530\u592a\u90ce" +
                  "\u5c71\u7530\u592a\u90ce";
  const auto line = lines_of(write_all(table_options(24, {Field::action, Field::description}), {a}))[1];
  CHECK(line == "login   \u5c71\u7530\u592a\u90ce\u5c71\u7530\u592a\u2026");
  CHECK(display_width(line) == 23); // a wide character does not fit in the last column left
}

TEST_CASE("table leaves no trailing spaces when the last cell is empty") {
  Activity a = full_activity();
  a.description = "";
  CHECK(lines_of(write_all(table_options(120), {a}))[1] ==
        "2018-08-22T21:47:12.859Z  ev1  login   u1     user:u1  203.0.113.7");
}

TEST_CASE("table writes the header with the first rows, at the end of their page") {
  StringSink sink;
  const auto writer = make_writer(table_options(120, {Field::id}), sink);
  writer->begin();
  writer->end_page();
  CHECK(sink.flushed() == "");
  writer->write(with_id("1"));
  CHECK(sink.text() == "");
  writer->end_page();
  CHECK(sink.flushed() == "ID\n1\n");
  writer->finish();
  CHECK(sink.flushed() == "ID\n1\n");
}

TEST_CASE("table with no rows prints nothing, not even the header") {
  CHECK(write_all(table_options(0), {}) == "");
}

TEST_CASE("table widens a column for a later page's wider cell") {
  StringSink sink;
  const auto writer = make_writer(table_options(0, parse_fields("id,action")), sink);
  writer->begin();
  writer->write(with_id("1"));
  writer->end_page();
  writer->write(with_id("12345"));
  writer->end_page();
  writer->finish();
  CHECK(sink.text() == "ID  ACTION\n1   -\n12345  -\n");
}

} // TEST_SUITE

TEST_SUITE("output.detail") {

WriterOptions detail_options(std::vector<Field> fields = {}, bool color = false) {
  auto options = options_for(Format::table, std::move(fields));
  options.detail = true;
  options.color = color;
  return options;
}

TEST_CASE("detail shows every unified field on its own line, then remote_data indented") {
  CHECK(write_all(detail_options(), {full_activity()}) ==
        "id:                            ev1\n"
        "actor.type:                    user\n"
        "actor.user.id:                 u1\n"
        "organization:                  org1\n"
        "group:                         g1\n"
        "description:                   User signed in\n"
        "action:                        login\n"
        "entity:                        u1\n"
        "entity_type:                   user\n"
        "context.ip_address:            203.0.113.7\n"
        "context.user_agent:            curl/8.0\n"
        "context.authentication_method: password\n"
        "created_at:                    2018-08-22T21:47:12.859Z\n"
        "provider:                      okta\n"
        "remote_data:\n"
        "{\n"
        "  \"eventType\": \"user.session.start\",\n"
        "  \"n\": 1\n"
        "}\n");
}

TEST_CASE("detail indents nested JSON and keeps empty objects and arrays on one line") {
  const auto raw = parsed(R"({"a":[1,{"b":"x,y:{z}"}],"e":{},"f":[],"s":"q\"}"})");
  Activity a;
  a.remote_data = raw.root;
  CHECK(write_all(detail_options({Field::id, Field::remote_data}), {a}) ==
        "id: -\n"
        "remote_data:\n"
        "{\n"
        "  \"a\": [\n"
        "    1,\n"
        "    {\n"
        "      \"b\": \"x,y:{z}\"\n"
        "    }\n"
        "  ],\n"
        "  \"e\": {},\n"
        "  \"f\": [],\n"
        "  \"s\": \"q\\\"}\"\n"
        "}\n");
}

TEST_CASE("detail separates activities by a blank line and makes hostile text visible") {
  CHECK(write_all(detail_options({Field::description}),
                  {with_description("a\x1b[2J\u202e"), with_description("b")}) ==
        "description: a\\x1b[2J\\u202e\n"
        "\n"
        "description: b\n");
}

TEST_CASE("detail with colour makes the names bold") {
  CHECK(write_all(detail_options({Field::id}, true), {with_id("1")}) == "\x1b[1mid:\x1b[0m 1\n");
}

} // TEST_SUITE

TEST_CASE("a run of named sources prints the source key in every format; one source does not") {
  auto a = full_activity();
  a.source = "okta-eu";
  auto ndjson = options_for(Format::ndjson, {});
  CHECK(write_all(ndjson, {a}) == k_full_json + "\n"); // one source: the output it always had
  ndjson.source = true;
  CHECK(write_all(ndjson, {a}) ==
        k_full_json.substr(0, k_full_json.size() - 1) + R"(,"source":"okta-eu"})" + "\n");
  auto csv = options_for(Format::csv, {});
  csv.source = true;
  const auto csv_text = write_all(csv, {a});
  CHECK(csv_text.substr(0, csv_text.find("\r\n")).ends_with(",remote_data,provider,source"));
  CHECK(csv_text.ends_with(",okta,okta-eu\r\n"));
  auto table = options_for(Format::table, {});
  table.source = true;
  const auto table_text = write_all(table, {a});
  CHECK(table_text.rfind("TIME                      SOURCE   ID ", 0) == 0);
  CHECK(table_text.find("okta-eu") != std::string::npos);
  // Without a name, `source` is null where it is asked for.
  a.source.reset();
  CHECK(json_of(a, {Field::source, Field::id}) == R"({"source":null,"id":"ev1"})");
}
