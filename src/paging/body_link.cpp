// The next page's URL is in the body, at a JSON pointer: HAL's /_links/next/href (PingOne,
// ThousandEyes), Graph's /@odata.nextLink. No link (or null) is the last page.
#include "auditfetch/paging/style.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/util/error.hpp"

#include <fmt/format.h>

namespace auditfetch {
namespace {

class BodyLink final : public Paginator {
public:
  explicit BodyLink(const std::string& pointer) : m_pointer(pointer) {}

  std::optional<HttpRequest> next(const HttpRequest& sent, const Page& page) override {
    const auto link = find_pointer(page.parsed.root, m_pointer);
    if (!link || link->is_null())
      return std::nullopt;
    if (!link->is_string() || link->get_string().value_unsafe().empty())
      throw Error(ErrorKind::remote, fmt::format("page {}: the next link at \"{}\" is not a URL",
                                                 page.number, m_pointer));
    HttpRequest request = sent;
    request.url = resolve_url(sent.url, link->get_string().value_unsafe());
    return request;
  }

private:
  const std::string& m_pointer;
};

class BodyLinkStyle final : public PagingStyle {
public:
  explicit BodyLinkStyle(std::string pointer) : m_pointer(std::move(pointer)) {}
  std::unique_ptr<Paginator> start(const PagingSetup&) const override {
    return std::make_unique<BodyLink>(m_pointer);
  }
  std::string describe() const override {
    return fmt::format("follows the next link at {}", m_pointer);
  }

private:
  std::string m_pointer;
};

} // namespace

std::unique_ptr<PagingStyle> make_body_link_style(DefObject& options) {
  return std::make_unique<BodyLinkStyle>(options.require("next").pointer());
}

} // namespace auditfetch
