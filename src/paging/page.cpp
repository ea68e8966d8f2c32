#include "auditfetch/paging/page.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/util/sanitize.hpp"
#include "auditfetch/util/text.hpp"

#include <fmt/format.h>

namespace auditfetch {
namespace {

static_assert(k_body_padding >= k_json_padding, "response bodies are parsed in place");

std::string describe_body(const HttpResponse& response) {
  const auto type = response.header("Content-Type").value_or("no content type");
  return fmt::format("HTTP {}, {}, {} bytes", response.status, sanitize_for_terminal(type),
                     response.body.size());
}

Page parse_body(HttpResponse& response, std::size_t number, const std::string& url,
                const std::string& content) {
  Page page;
  page.number = number;
  page.url = url;
  page.headers = std::move(response.headers);
  std::string error;
  auto parsed = parse_json_in_place(response.body, error);
  if (!parsed)
    throw Error(ErrorKind::remote, fmt::format("invalid JSON ({}): {}", content, error),
                "the API or a proxy in between answered with something else; run with -v");
  page.parsed = std::move(*parsed);
  page.records = std::make_unique<std::vector<JsonValue>>();
  give_back_body_buffer(std::move(response.body)); // the document holds what it needs
  return page;
}

} // namespace

std::optional<std::string> Page::header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name))
      return h.value;
  return std::nullopt;
}

Page parse_page(HttpResponse& response, const std::string& records_pointer, std::size_t number,
                const std::string& url) {
  const auto content = describe_body(response);
  auto page = parse_body(response, number, url, content);
  const auto records = find_pointer(page.parsed.root, records_pointer);
  if (!records) {
    // A page with no records member at all is how some APIs say "empty"; that is only
    // believable when the body is an object.
    if (page.parsed.root.is_object())
      return page;
    throw Error(ErrorKind::remote, fmt::format("records at \"{}\" missing ({})", records_pointer, content));
  }
  if (!records->is_array())
    throw Error(ErrorKind::remote,
                fmt::format("records at \"{}\" are not an array",
                            records_pointer.empty() ? "/" : records_pointer));
  const auto array = records->get_array().value_unsafe();
  page.records->reserve(array.size());
  for (const auto record : array)
    page.records->push_back(record);
  return page;
}

Page parse_record(HttpResponse& response, const std::string& record_pointer, const std::string& url) {
  const auto content = describe_body(response);
  auto page = parse_body(response, 1, url, content);
  const auto record = find_pointer(page.parsed.root, record_pointer);
  if (!record || !record->is_object())
    throw Error(ErrorKind::remote,
                fmt::format("the response holds no activity object ({})", content));
  page.records->push_back(*record);
  return page;
}

} // namespace auditfetch
