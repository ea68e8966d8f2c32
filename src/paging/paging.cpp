#include "auditfetch/paging/paging.hpp"

#include "auditfetch/error.hpp"
#include "auditfetch/http/url.hpp"
#include "auditfetch/output/sanitize.hpp"

#include <cstdlib>
#include <fmt/format.h>

namespace auditfetch {
namespace {

std::string describe_body(const HttpResponse& response) {
  const auto type = response.header("Content-Type").value_or("no content type");
  return fmt::format("HTTP {}, {}, {} bytes", response.status, sanitize_for_terminal(type),
                     response.body.size());
}

Page parse_body(const HttpResponse& response, std::size_t number, const std::string& url) {
  Page page;
  page.number = number;
  page.url = url;
  std::string error;
  auto parsed = parse_json_in_place(response.body, error);
  if (!parsed)
    throw Error(ErrorKind::remote,
                fmt::format("invalid JSON ({}): {}", describe_body(response), error),
                "the API or a proxy in between answered with something else; run with -v");
  page.parsed = std::move(*parsed);
  page.records = std::make_unique<std::vector<JsonValue>>();
  return page;
}

} // namespace

Page parse_page(const ProviderSpec& spec, const HttpResponse& response, std::size_t number,
                const std::string& url) {
  auto page = parse_body(response, number, url);
  const auto& pointer = spec.list.records_pointer;
  const auto records = find_pointer(page.parsed.root, pointer);
  if (!records) {
    // A page with no records member at all is how some APIs say "empty"; that is only
    // believable when the body is an object.
    if (page.parsed.root.is_object())
      return page;
    throw Error(ErrorKind::remote, fmt::format("records at \"{}\" missing ({})", pointer,
                                               describe_body(response)));
  }
  if (!records->is_array())
    throw Error(ErrorKind::remote,
                fmt::format("records at \"{}\" are not an array", pointer.empty() ? "/" : pointer));
  const auto array = records->get_array().value_unsafe();
  page.records->reserve(array.size());
  for (const auto record : array)
    page.records->push_back(record);
  return page;
}

Page parse_record(const ProviderSpec& spec, const HttpResponse& response, const std::string& url) {
  auto page = parse_body(response, 1, url);
  const auto record = find_pointer(page.parsed.root, spec.get.record_pointer);
  if (!record || !record->is_object())
    throw Error(ErrorKind::remote, fmt::format("the response holds no activity object ({})",
                                               describe_body(response)));
  page.records->push_back(*record);
  return page;
}

namespace {

// The first JSON pointer of a mapped value, where paging reads a record's time and id.
std::string first_pointer(const ValueExpr& expr) {
  for (const auto& source : expr)
    if (source.kind == ValueSource::Kind::pointer)
      return source.text;
  return {};
}

std::optional<std::string> string_at(JsonValue record, const std::string& pointer) {
  if (pointer.empty())
    return std::nullopt;
  const auto v = find_pointer(record, pointer);
  if (!v || !v->is_string())
    return std::nullopt;
  return std::string(v->get_string().value_unsafe());
}

std::size_t offset_of(const std::string& url, const std::string& param) {
  const auto pos = url.find(param + "=");
  if (pos == std::string::npos || (pos > 0 && url[pos - 1] != '?' && url[pos - 1] != '&'))
    return 0;
  return std::strtoull(url.c_str() + pos + param.size() + 1, nullptr, 10);
}

} // namespace

Pager::Pager(const ProviderSpec& spec, std::string base_url, std::size_t page_size,
             Restart restart)
    : m_spec(spec), m_base_url(std::move(base_url)), m_page_size(page_size),
      m_restart(std::move(restart)) {}

void Pager::accept(Page& page) {
  m_raw_count = page.records->size();
  if (m_spec.list.pagination.style != PaginationStyle::offset)
    return;
  const auto time_pointer = first_pointer(m_spec.mapping.created_at);
  const auto id_pointer = first_pointer(m_spec.mapping.id);
  auto& records = *page.records;
  for (auto it = records.begin(); it != records.end();) {
    const auto time_text = string_at(*it, time_pointer);
    const auto id = string_at(*it, id_pointer);
    Timestamp t;
    if (!time_text || !id || !try_parse_rfc3339(*time_text, t)) {
      ++it; // mapping reports it
      continue;
    }
    if (m_boundary_time && t == *m_boundary_time && m_boundary_ids.count(*id)) {
      it = records.erase(it);
      continue;
    }
    if (!m_last_time || t > *m_last_time) {
      m_last_time = t;
      m_ids_at_last_time = {*id};
    } else if (t == *m_last_time) {
      m_ids_at_last_time.insert(*id);
    }
    ++it;
  }
}

std::optional<HttpRequest> Pager::next_request(const HttpRequest& current, const Page& page) {
  m_seen.insert(current.url);
  switch (m_spec.list.pagination.style) {
  case PaginationStyle::hal_next:
    return next_hal(current, page);
  case PaginationStyle::cursor:
    return next_cursor(current, page);
  case PaginationStyle::offset:
    return next_offset(current, page);
  }
  return std::nullopt;
}

std::optional<HttpRequest> Pager::next_cursor(const HttpRequest& current, const Page& page) {
  const auto& pg = m_spec.list.pagination;
  const auto cursor = find_pointer(page.parsed.root, pg.cursor_pointer);
  if (!cursor || cursor->is_null() ||
      (cursor->is_string() && cursor->get_string().value_unsafe().empty()))
    return std::nullopt;
  if (!cursor->is_string())
    throw Error(ErrorKind::remote, fmt::format("page {}: the cursor at \"{}\" is not a string",
                                               page.number, pg.cursor_pointer));
  return cursor_request(current, page.number, cursor->get_string().value_unsafe());
}

std::optional<HttpRequest> Pager::cursor_request(const HttpRequest& current,
                                                 std::size_t page_number,
                                                 std::string_view cursor) const {
  HttpRequest request = current;
  request.url = set_query_param(current.url, m_spec.list.pagination.cursor_param, cursor);
  if (m_seen.count(request.url))
    throw Error(ErrorKind::remote,
                fmt::format("page {}: the API returned a cursor it returned before; stopping a loop",
                            page_number));
  return request;
}

std::optional<HttpRequest> Pager::next_offset(const HttpRequest& current, const Page& page) {
  const auto& pg = m_spec.list.pagination;
  if (m_raw_count < m_page_size)
    return std::nullopt;
  const auto next = offset_of(current.url, pg.offset_param) + m_page_size;
  if (pg.max_offset == 0 || next <= pg.max_offset) {
    HttpRequest request = current;
    request.url = set_query_param(current.url, pg.offset_param, std::to_string(next));
    return request;
  }
  // The API serves no further offsets: start again after the last timestamp seen, and let
  // accept() drop what was already delivered at exactly that timestamp.
  if (!m_restart || !m_last_time)
    throw Error(ErrorKind::remote, fmt::format("page {}: the API serves no offset past {}",
                                               page.number, pg.max_offset));
  if (m_boundary_time && *m_boundary_time == *m_last_time)
    throw Error(ErrorKind::remote,
                fmt::format("page {}: more than {} activities share the time {}; the API cannot "
                            "page past them",
                            page.number, pg.max_offset, format_rfc3339_ms(*m_last_time)));
  m_boundary_time = m_last_time;
  m_boundary_ids = m_ids_at_last_time;
  return m_restart(*m_last_time);
}

std::optional<HttpRequest> Pager::next_hal(const HttpRequest& current, const Page& page) {
  const auto next = find_pointer(page.parsed.root, m_spec.list.pagination.next_pointer);
  if (!next || next->is_null())
    return std::nullopt;
  if (!next->is_string() || next->get_string().value_unsafe().empty())
    throw Error(ErrorKind::remote, fmt::format("page {}: the next link at \"{}\" is not a URL",
                                               page.number, m_spec.list.pagination.next_pointer));
  return hal_request(current, page.number, next->get_string().value_unsafe());
}

std::optional<HttpRequest> Pager::hal_request(const HttpRequest& current, std::size_t page_number,
                                              std::string_view link) const {
  const auto url = resolve_url(current.url, link);
  Origin next_origin, own_origin;
  try {
    next_origin = origin_of(url, "next link");
    own_origin = origin_of(current.url);
  } catch (const Error&) {
    throw Error(ErrorKind::remote,
                fmt::format("page {}: the next link '{}' is not an http(s) URL", page_number,
                            sanitize_for_terminal(redact_url(url))));
  }
  // A next link is followed with our credentials: it must stay on the API's origin.
  if (next_origin != own_origin && next_origin != origin_of(m_base_url))
    throw Error(ErrorKind::remote,
                fmt::format("page {}: refusing the next link to {}: not the API's origin {}",
                            page_number, sanitize_for_terminal(next_origin.to_string()),
                            own_origin.to_string()));
  if (m_seen.count(url))
    throw Error(ErrorKind::remote,
                fmt::format("page {}: the next link repeats an earlier page; stopping a loop",
                            page_number));
  HttpRequest request = current;
  request.url = url;
  return request;
}

std::optional<HttpRequest> Pager::early_next_request(const HttpRequest& current,
                                                     std::string_view body) const {
  // Where APIs put their links, in front of the records; a scan this long costs microseconds.
  constexpr std::size_t k_scan_limit = 64 * 1024;
  const auto& pg = m_spec.list.pagination;
  const bool hal = pg.style == PaginationStyle::hal_next;
  if (!hal && pg.style != PaginationStyle::cursor)
    return std::nullopt;
  const auto value = find_string_in_prefix(body, hal ? pg.next_pointer : pg.cursor_pointer,
                                           k_scan_limit);
  if (!value || value->empty())
    return std::nullopt;
  // Loops and foreign origins are refused by next_request, with the page's number; nothing
  // is sent before that.
  try {
    auto request = hal ? hal_request(current, 0, *value) : cursor_request(current, 0, *value);
    if (request && request->url == current.url)
      return std::nullopt;
    return request;
  } catch (const Error&) {
    return std::nullopt;
  }
}

} // namespace auditfetch
