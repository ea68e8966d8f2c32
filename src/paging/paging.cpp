#include "auditfetch/paging/paging.hpp"

#include "auditfetch/error.hpp"
#include "auditfetch/http/url.hpp"
#include "auditfetch/output/sanitize.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace auditfetch {
namespace json = boost::json;
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
  // Sized to the body: one allocation per page in the common case.
  page.arena = std::make_unique<json::monotonic_resource>(response.body.size() * 2 + 1024);
  json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  page.body = json::parse(response.body, ec, page.arena.get(), options);
  if (ec)
    throw Error(ErrorKind::remote,
                fmt::format("invalid JSON ({}): {}", describe_body(response), ec.message()),
                "the API or a proxy in between answered with something else; run with -v");
  return page;
}

} // namespace

Page parse_page(const ProviderSpec& spec, const HttpResponse& response, std::size_t number,
                const std::string& url) {
  auto page = parse_body(response, number, url);
  const auto& pointer = spec.list.records_pointer;
  boost::system::error_code ec;
  const json::value* records = pointer.empty() ? &page.body : page.body.find_pointer(pointer, ec);
  if (!records || ec) {
    // A page with no records member at all is how some APIs say "empty"; that is only
    // believable when the body is an object.
    if (page.body.is_object()) {
      static const json::array k_empty;
      page.records = &k_empty;
      return page;
    }
    throw Error(ErrorKind::remote, fmt::format("records at \"{}\" missing ({})", pointer,
                                               describe_body(response)));
  }
  if (!records->is_array())
    throw Error(ErrorKind::remote,
                fmt::format("records at \"{}\" are not an array", pointer.empty() ? "/" : pointer));
  page.records = &records->get_array();
  return page;
}

Page parse_record(const ProviderSpec& spec, const HttpResponse& response, const std::string& url) {
  auto page = parse_body(response, 1, url);
  boost::system::error_code ec;
  const auto& pointer = spec.get.record_pointer;
  const json::value* record = pointer.empty() ? &page.body : page.body.find_pointer(pointer, ec);
  if (!record || ec || !record->is_object())
    throw Error(ErrorKind::remote, fmt::format("the response holds no activity object ({})",
                                               describe_body(response)));
  page.single = json::array(page.arena.get());
  page.single.push_back(*record);
  page.records = &page.single;
  return page;
}

Pager::Pager(const ProviderSpec& spec, std::string base_url)
    : m_spec(spec), m_base_url(std::move(base_url)) {}

std::optional<HttpRequest> Pager::next_request(const HttpRequest& current, const Page& page) {
  m_seen.insert(current.url);
  switch (m_spec.list.pagination.style) {
  case PaginationStyle::hal_next: {
    boost::system::error_code ec;
    const auto* next = page.body.find_pointer(m_spec.list.pagination.next_pointer, ec);
    if (!next || ec || next->is_null())
      return std::nullopt;
    if (!next->is_string() || next->get_string().empty())
      throw Error(ErrorKind::remote, fmt::format("page {}: the next link at \"{}\" is not a URL",
                                                 page.number, m_spec.list.pagination.next_pointer));
    const auto url = resolve_url(current.url, std::string_view(next->get_string()));
    Origin next_origin, own_origin;
    try {
      next_origin = origin_of(url, "next link");
      own_origin = origin_of(current.url);
    } catch (const Error&) {
      throw Error(ErrorKind::remote,
                  fmt::format("page {}: the next link '{}' is not an http(s) URL", page.number,
                              sanitize_for_terminal(redact_url(url))));
    }
    // A next link is followed with our credentials: it must stay on the API's origin.
    if (next_origin != own_origin && next_origin != origin_of(m_base_url))
      throw Error(ErrorKind::remote,
                  fmt::format("page {}: refusing the next link to {}: not the API's origin {}",
                              page.number, sanitize_for_terminal(next_origin.to_string()),
                              own_origin.to_string()));
    if (m_seen.count(url))
      throw Error(ErrorKind::remote,
                  fmt::format("page {}: the next link repeats an earlier page; stopping a loop",
                              page.number));
    HttpRequest request = current;
    request.url = url;
    return request;
  }
  }
  return std::nullopt;
}

} // namespace auditfetch
