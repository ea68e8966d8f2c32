// Fuzz the response path: fuzzed responses as list pages of a Listing (every paging style of
// the built-in definitions: next links in the body or the Link header, cursors, offsets and
// keyset restarts, the stop rules), their records mapped; and as a `get` response.
//
// Input: one byte choosing the built-in provider, then up to 4 responses separated by NUL.
// A response whose first line starts with '<' has that line as its Link header.
#include "fuzz_support.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/mapping/mapping.hpp"
#include "auditfetch/paging/listing.hpp"
#include "auditfetch/provider/plan.hpp"

using namespace auditfetch;
using namespace auditfetch::fuzz;

namespace {

HttpResponse response_of(std::string_view part) {
  HttpResponse r;
  r.status = 200;
  r.headers = {{"Content-Type", "application/json"}};
  if (!part.empty() && part.front() == '<') {
    const auto end = part.find('\n');
    r.headers.push_back({"Link", std::string(part.substr(0, end))});
    part = end == std::string_view::npos ? std::string_view() : part.substr(end + 1);
  }
  r.body = std::string(part);
  return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1)
    return 0;
  const auto& contexts = builtin().contexts;
  const auto& context = contexts[data[0] % contexts.size()];
  const auto& spec = *context.spec;
  const auto parts = split(as_text(data + 1, size - 1), '\0');

  const Query query;
  const auto plan = plan_list(context, query, fixed_now());
  const auto own_origin = origin_of(context.base_url);
  PagingSetup setup;
  setup.page_size = plan.page_size;
  setup.record_key = [&](JsonValue record) { return record_key(context, record); };
  setup.restart = [&](Timestamp since) {
    Query later = query;
    later.since = since;
    return plan_list(context, later, fixed_now()).first;
  };
  std::size_t sent = 0;
  Listing listing(*spec.list.paging, spec.list.stop, setup, spec.list.records_pointer,
                  context.base_url, plan.first, [&](const HttpRequest& request) {
                    // Credentials follow every request: it must stay on the API's origin.
                    if (origin_of(request.url) != own_origin)
                      fail("the listing left the API's origin");
                    if (sent >= parts.size() || sent >= 4)
                      throw Error(ErrorKind::remote, "no more responses");
                    return response_of(parts[sent++]);
                  });
  try {
    while (auto page = listing.next()) {
      if (!page->records)
        fail("a page without a records array");
      for (const auto& record : *page->records) {
        try {
          (void)map_record(context, record);
        } catch (const Error& e) {
          if (e.kind() != ErrorKind::remote)
            fail("map_record threw a non-remote error");
        }
      }
      // A continuation may be kept as a resume point and sent by a later run.
      if (page->continuation && origin_of(page->continuation->url) != own_origin)
        fail("a resume point left the API's origin");
    }
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::remote)
      fail("the page path threw a non-remote error");
  }

  if (!parts.empty()) {
    try {
      auto response = response_of(parts[0]);
      const auto page = parse_record(response, spec.get.record_pointer, plan.first.url);
      if (!page.records || page.records->size() != 1 || !(*page.records)[0].is_object())
        fail("parse_record did not return one object");
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::remote)
        fail("parse_record threw a non-remote error");
    }
  }
  return 0;
}
