// The next page's URL is in the response's Link header (RFC 8288) with rel="next": Okta,
// GitHub, Auth0. No such link is the last page.
#include "auditfetch/paging/style.hpp"
#include "paging/link.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/util/text.hpp"

namespace auditfetch {

namespace {

// The target of the first link whose rel includes "next", in a Link header value:
// <https://a/b?after=x>; rel="next", <https://a/b>; rel="self"
std::optional<std::string> next_target(std::string_view value) {
  std::size_t pos = 0;
  while (pos < value.size()) {
    const auto open = value.find('<', pos);
    if (open == std::string_view::npos)
      return std::nullopt;
    const auto close = value.find('>', open);
    if (close == std::string_view::npos)
      return std::nullopt;
    const auto target = value.substr(open + 1, close - open - 1);
    // Parameters run to the next link, which starts after a comma outside quotes.
    std::size_t end = close + 1;
    bool quoted = false;
    for (; end < value.size(); ++end) {
      if (value[end] == '"')
        quoted = !quoted;
      else if (value[end] == ',' && !quoted)
        break;
    }
    auto params = value.substr(close + 1, end - close - 1);
    for (std::size_t p = params.find(';'); p != std::string_view::npos; p = params.find(';', p + 1)) {
      auto param = params.substr(p + 1, params.find(';', p + 1) - p - 1);
      const auto eq = param.find('=');
      if (eq == std::string_view::npos || !iequals(trim(param.substr(0, eq)), "rel"))
        continue;
      auto rels = trim(param.substr(eq + 1));
      if (rels.size() >= 2 && rels.front() == '"' && rels.back() == '"')
        rels = rels.substr(1, rels.size() - 2);
      // rel may hold several space-separated relation types.
      for (std::size_t r = 0; r < rels.size();) {
        const auto space = rels.find(' ', r);
        if (iequals(std::string_view(rels).substr(r, space - r), "next"))
          return std::string(target);
        if (space == std::string::npos)
          break;
        r = space + 1;
      }
    }
    pos = end + 1;
  }
  return std::nullopt;
}

class LinkHeader final : public Paginator {
public:
  std::optional<HttpRequest> next(const HttpRequest& sent, const Page& page) override {
    auto link = link_rel_next(page);
    if (!link)
      return std::nullopt;
    HttpRequest request = sent;
    request.url = std::move(*link);
    return request;
  }
};

class LinkHeaderStyle final : public PagingStyle {
public:
  std::unique_ptr<Paginator> start(const PagingSetup&) const override {
    return std::make_unique<LinkHeader>();
  }
  std::string describe() const override { return "follows the Link header's rel=\"next\""; }
};

} // namespace

std::optional<std::string> link_rel_next(const Page& page) {
  for (const auto& header : page.headers) {
    if (!iequals(header.name, "Link"))
      continue;
    if (auto target = next_target(header.value))
      return resolve_url(page.url, *target);
  }
  return std::nullopt;
}

std::unique_ptr<PagingStyle> make_link_header_style(DefObject&) {
  return std::make_unique<LinkHeaderStyle>();
}

} // namespace auditfetch
