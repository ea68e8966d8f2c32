// An offset parameter that grows by the page size; a short page is the last. Past the API's
// largest offset (SailPoint: 10,000) the listing continues by keyset: the first request
// again from the last time seen, dropping the records at that time already delivered.
#include "auditfetch/paging/style.hpp"
#include "paging/keyset_boundary.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/util/error.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace auditfetch {
namespace {

struct Options {
  std::string param;
  std::size_t max_offset = 0; // 0: no limit
};

std::size_t offset_of(const std::string& url, const std::string& param) {
  const auto pos = url.find(param + "=");
  if (pos == std::string::npos || (pos > 0 && url[pos - 1] != '?' && url[pos - 1] != '&'))
    return 0;
  return std::strtoull(url.c_str() + pos + param.size() + 1, nullptr, 10);
}

class Offset final : public Paginator {
public:
  Offset(const Options& options, const PagingSetup& setup) : m_options(options), m_setup(setup) {}

  void accept(Page& page) override {
    m_raw_count = page.records->size();
    m_boundary.accept(page, m_setup);
  }

  std::optional<HttpRequest> next(const HttpRequest& sent, const Page& page) override {
    if (m_raw_count < m_setup.page_size)
      return std::nullopt;
    const auto next = offset_of(sent.url, m_options.param) + m_setup.page_size;
    if (m_options.max_offset == 0 || next <= m_options.max_offset) {
      HttpRequest request = sent;
      request.url = set_query_param(sent.url, m_options.param, std::to_string(next));
      return request;
    }
    // The API serves no further offsets: start again after the last timestamp seen.
    if (!m_setup.restart || !m_boundary.seen_any())
      throw Error(ErrorKind::remote, fmt::format("page {}: the API serves no offset past {}",
                                                 page.number, m_options.max_offset));
    return m_setup.restart(m_boundary.restart_time(page, m_options.max_offset));
  }

private:
  const Options& m_options;
  PagingSetup m_setup;
  std::size_t m_raw_count = 0;
  KeysetBoundary m_boundary;
};

class OffsetStyle final : public PagingStyle {
public:
  explicit OffsetStyle(Options options) : m_options(std::move(options)) {}
  std::unique_ptr<Paginator> start(const PagingSetup& setup) const override {
    return std::make_unique<Offset>(m_options, setup);
  }
  std::string describe() const override {
    return fmt::format("{} grows by the page size until a short page{}", m_options.param,
                       m_options.max_offset
                           ? fmt::format("; past offset {} it continues by keyset on the time, "
                                         "skipping ids already printed",
                                         m_options.max_offset)
                           : "");
  }

private:
  Options m_options;
};

} // namespace

std::unique_ptr<PagingStyle> make_offset_style(DefObject& options) {
  Options o;
  o.param = options.require("param").string();
  if (auto max = options.get("max_offset"))
    o.max_offset = max->count();
  return std::make_unique<OffsetStyle>(std::move(o));
}

} // namespace auditfetch
