// A first page found by searching (it can filter and sort by time), then the API's checkpoint
// paging from the last record's id, following the Link header (Auth0: search is capped at
// 1,000 results, `from=LOG_ID&take=N` is not). Only a page without records ends the search;
// in checkpoint mode an empty page's next link is itself, the end for now.
#include "auditfetch/paging/style.hpp"
#include "paging/link.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/util/text.hpp"

#include <fmt/format.h>

namespace auditfetch {

namespace {

struct Options {
  std::string id;         // pointer to a record's id
  std::string param;      // the checkpoint parameter ("from")
  std::string size_param; // its page size ("take")
};

class Checkpoint final : public Paginator {
public:
  Checkpoint(const Options& options, const PagingSetup& setup) : m_options(options), m_setup(setup) {}

  std::optional<HttpRequest> next(const HttpRequest& sent, const Page& page) override {
    if (auto link = link_rel_next(page)) {
      HttpRequest request = sent;
      request.url = *link;
      return request;
    }
    if (page.records->empty())
      return std::nullopt;
    const auto id = find_pointer(page.records->back(), m_options.id);
    if (!id || (!id->is_string() && !id->is_number()))
      throw Error(ErrorKind::remote,
                  fmt::format("page {}: the last record has no id at \"{}\" to continue from", page.number,
                              m_options.id));
    std::string text = id->is_string() ? std::string(id->get_string().value_unsafe()) : compact_json(*id);
    // The same path, with nothing but the checkpoint: the API ignores other parameters there.
    HttpRequest request = sent;
    request.url = sent.url.substr(0, sent.url.find('?')) + "?" + form_encode(m_options.param) + "=" +
                  form_encode(text) + "&" + form_encode(m_options.size_param) + "=" +
                  std::to_string(m_setup.page_size);
    return request;
  }

private:
  const Options& m_options;
  PagingSetup m_setup;
};

class CheckpointStyle final : public PagingStyle {
public:
  explicit CheckpointStyle(Options options) : m_options(std::move(options)) {}
  std::unique_ptr<Paginator> start(const PagingSetup& setup) const override {
    return std::make_unique<Checkpoint>(m_options, setup);
  }
  std::string describe() const override {
    return fmt::format("a first page by search, then {}=LAST_ID&{}=N from its last record ({}), "
                       "following the Link header's rel=\"next\"",
                       m_options.param, m_options.size_param, m_options.id);
  }

private:
  Options m_options;
};

} // namespace

std::unique_ptr<PagingStyle> make_checkpoint_style(DefObject& options) {
  return std::make_unique<CheckpointStyle>(Options{options.require("id").pointer(),
                                                   options.require("param").string(),
                                                   options.require("size_param").string()});
}

} // namespace auditfetch
