// Fuzz the JSON response path: fuzzed bodies parsed as list pages (parse_page), followed by
// the Pager (next link, cursor, offset and keyset restart), their records mapped; and as a
// `get` response (parse_record). Also the next request read ahead of the parse.
//
// Input: one byte choosing the built-in provider, then up to 4 page bodies separated by NUL.
#include "fuzz_support.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/mapping/mapping.hpp"
#include "auditfetch/paging/paging.hpp"
#include "auditfetch/provider/plan.hpp"

using namespace auditfetch;
using namespace auditfetch::fuzz;

namespace {

HttpResponse response_of(std::string_view body) {
  HttpResponse r;
  r.status = 200;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::string(body);
  return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1)
    return 0;
  const auto& contexts = builtin().contexts;
  const auto& context = contexts[data[0] % contexts.size()];
  const auto& spec = *context.spec;
  const auto bodies = split(as_text(data + 1, size - 1), '\0');

  const Query query;
  auto plan = plan_list(context, query, fixed_now());
  const auto own_origin = origin_of(context.base_url);
  Pager pager(spec, context.base_url, plan.page_size, [&](Timestamp since) {
    Query later = query;
    later.since = since;
    return plan_list(context, later, fixed_now()).first;
  });

  HttpRequest request = plan.first;
  for (std::size_t i = 0; i < bodies.size() && i < 4; ++i) {
    try {
      // What is sent ahead of the parse must not leave the API's origin either.
      if (const auto early = pager.early_next_request(request, bodies[i]))
        if (origin_of(early->url) != own_origin)
          fail("a request sent ahead left the API's origin");
      auto page = parse_page(spec, response_of(bodies[i]), i + 1, request.url);
      if (!page.records)
        fail("parse_page returned no records array");
      pager.accept(page);
      for (const auto& record : *page.records) {
        try {
          (void)map_record(context, record);
        } catch (const Error& e) {
          if (e.kind() != ErrorKind::remote)
            fail("map_record threw a non-remote error");
        }
      }
      const auto next = pager.next_request(request, page);
      if (!next)
        break;
      // Credentials follow the next request: it must stay on the API's origin.
      if (origin_of(next->url) != own_origin)
        fail("the pager left the API's origin");
      request = *next;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::remote)
        fail("the page path threw a non-remote error");
      break;
    }
  }

  if (!bodies.empty()) {
    try {
      const auto page = parse_record(spec, response_of(bodies[0]), plan.first.url);
      if (!page.records || page.records->size() != 1 || !(*page.records)[0].is_object())
        fail("parse_record did not return one object");
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::remote)
        fail("parse_record threw a non-remote error");
    }
  }
  return 0;
}
