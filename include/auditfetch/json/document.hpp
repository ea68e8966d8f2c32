#pragma once
// The parsed JSON that pages and records are read from: simdjson's DOM, which parses pages
// several times faster than Boost.JSON (see README, Dependencies). Also what mapping and
// paging need on top of it: JSON pointers, and compact text exactly as Boost.JSON prints it.

#include <simdjson.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

// A value inside a parsed document; cheap to copy, valid while its document lives.
using JsonValue = simdjson::dom::element;

// Nesting deeper than this is refused (a page is data, not a stack exhaustion test).
inline constexpr std::size_t k_json_max_depth = 64;

// Hands a document's buffers to the next parse instead of freeing them: a page's buffers are
// several megabytes, and allocating them anew for every page leaves the heap fragmented
// (peak RSS grew by half).
struct RecycleDocument {
  void operator()(simdjson::dom::document* document) const noexcept;
};

// One parsed JSON text. It owns everything its values point to and may move between threads.
struct JsonDocument {
  std::unique_ptr<simdjson::dom::document, RecycleDocument> document;
  JsonValue root;
};

// Room after the text that lets parse_json read it in place (simdjson reads a little past
// the end); with less, the text is copied first.
inline constexpr std::size_t k_json_padding = simdjson::SIMDJSON_PADDING;

// Parse JSON text; nullopt with `error` set to the reason when it is not valid JSON (or
// nests deeper than k_json_max_depth, or holds an integer beyond 64 bits).
std::optional<JsonDocument> parse_json(std::string_view text, std::string& error);
// The same, in place when the string's capacity leaves k_json_padding after it (response
// bodies, see http/types.hpp).
std::optional<JsonDocument> parse_json_in_place(const std::string& text, std::string& error);

// The value at an RFC 6901 JSON pointer ("" is the root), or nullopt when a step is
// missing. As Boost.JSON's find_pointer: array steps are decimal indices without leading
// zeros, and of duplicate keys the last one counts. One extension: an array step
// "[key=text]" is the first element whose member `key` is the string `text`
// ("/parameters/[name=login_type]/value").
std::optional<JsonValue> find_pointer(JsonValue root, std::string_view pointer);

// Where an error body keeps its message (a provider definition's "errors").
struct ErrorShape {
  std::vector<std::string> message; // JSON pointers; a "*" step goes through an array
  std::vector<std::string> detail_items;  // arrays of details ("/details")
  std::vector<std::string> detail_fields; // in each detail ("/code", "/message")
  // An error in a 2xx body: false at this pointer (Slack's "/ok"); the code at `code` gives
  // the status it stands for (invalid_auth: 401), else 400.
  std::string failed_when_false;
  std::string code;
  std::map<std::string, int> code_statuses;
};

// The message of an error body: the texts at shape.message (numbers printed) joined by ": ",
// then each detail's fields joined by ": ", the details by "; ", in parentheses. When the body
// is not JSON or holds none of them: the start of the body, line breaks as spaces. Not
// sanitised.
std::string error_body_message(std::string_view body, const ErrorShape& shape);

// Append the value as compact JSON, byte for byte as boost::json::serialize prints it
// (doubles like 2.5E0, control characters as \u001f, everything else unescaped), except
// that duplicate keys are all kept.
void append_compact_json(std::string& out, JsonValue value);
std::string compact_json(JsonValue value);

} // namespace auditfetch
