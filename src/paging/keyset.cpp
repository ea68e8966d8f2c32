// No cursor at all: a full page means more, asked for again from the last record's time
// (Duo's administrator log: `mintime`, "only the 1000 earliest events" a request). The records
// at that time come again and those delivered are dropped by id.
#include "auditfetch/paging/style.hpp"
#include "paging/keyset_boundary.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/time/format.hpp"
#include "auditfetch/util/error.hpp"

#include <fmt/format.h>

namespace auditfetch {
namespace {

struct Options {
  std::string param;            // where the time goes
  const TimeFormat* format = nullptr;
  std::size_t full_page = 0;    // a page this long means more
};

class Keyset final : public Paginator {
public:
  Keyset(const Options& options, const PagingSetup& setup) : m_options(options), m_setup(setup) {}

  void accept(Page& page) override {
    m_raw_count = page.records->size();
    m_boundary.accept(page, m_setup);
  }

  std::optional<HttpRequest> next(const HttpRequest& sent, const Page& page) override {
    if (m_raw_count < m_options.full_page || !m_boundary.seen_any())
      return std::nullopt;
    const auto from = m_boundary.restart_time(page, m_options.full_page);
    HttpRequest request = sent;
    request.url = set_query_param(sent.url, m_options.param, m_options.format->format(from, Bound::lower));
    return request;
  }

private:
  const Options& m_options;
  PagingSetup m_setup;
  std::size_t m_raw_count = 0;
  KeysetBoundary m_boundary;
};

class KeysetStyle final : public PagingStyle {
public:
  explicit KeysetStyle(Options options) : m_options(std::move(options)) {}
  std::unique_ptr<Paginator> start(const PagingSetup& setup) const override {
    return std::make_unique<Keyset>(m_options, setup);
  }
  std::string describe() const override {
    return fmt::format("a page of {} asks again with {} from its last record's time", m_options.full_page,
                       m_options.param);
  }

private:
  Options m_options;
};

} // namespace

std::unique_ptr<PagingStyle> make_keyset_style(DefObject& options) {
  Options o;
  o.param = options.require("param").string();
  o.format = find_time_format(options.require("format").one_of(time_format_names()));
  o.full_page = options.require("full_page").count();
  return std::make_unique<KeysetStyle>(std::move(o));
}

} // namespace auditfetch
