// No cursor at all: the next page is asked for again from the last record's time (Duo's
// administrator log: `mintime`, "only the 1000 earliest events" a request). The records at that
// time come again and those delivered are dropped by id. With `full_page`, a shorter page is the
// last; without (the API may send fewer than its cap while more remain), a page that brings
// nothing past the time asked from goes on from just after it, and only an empty page ends.
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
  std::size_t full_page = 0;    // a page this long means more; 0: only an empty page ends
};

class Keyset final : public Paginator {
public:
  Keyset(const Options& options, const PagingSetup& setup) : m_options(options), m_setup(setup) {}

  void accept(Page& page) override {
    m_raw_count = page.records->size();
    m_boundary.accept(page, m_setup);
  }

  std::optional<HttpRequest> next(const HttpRequest& sent, const Page& page) override {
    if (!m_boundary.seen_any() || m_raw_count == 0)
      return std::nullopt;
    if (m_options.full_page && m_raw_count < m_options.full_page)
      return std::nullopt;
    std::string from;
    if (!m_options.full_page && m_boundary.stuck())
      // Asked again from one time, the page brought nothing later: whatever the API holds at
      // that time has come; go on strictly after it (Duo's own advice: mintime = last + 1).
      // Only an empty page ends the listing.
      from = m_options.format->format(*m_boundary.last_time() + std::chrono::milliseconds{1},
                                      Bound::upper_exclusive);
    else
      from = m_options.format->format(m_boundary.restart_time(page, m_options.full_page), Bound::lower);
    HttpRequest request = sent;
    request.url = set_query_param(sent.url, m_options.param, from);
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
    if (m_options.full_page == 0)
      return fmt::format("asks again with {} from the last record's time until a page is empty",
                         m_options.param);
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
  if (auto full = options.get("full_page"))
    o.full_page = full->count();
  return std::make_unique<KeysetStyle>(std::move(o));
}

} // namespace auditfetch
