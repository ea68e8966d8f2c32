// A first page found by searching (it can filter the window and sort by id), then the API's
// checkpoint paging by record id, following the Link header (Auth0: search is capped at 1,000
// results, `from=LOG_ID&take=N` is not). The search must be sorted by id, ascending (the
// definition's order): its page then holds the smallest ids of the window, and the checkpoint
// from its largest id misses nothing. Ids grow with the time a record was stored, which may
// differ a little from its time; records are never sorted by time. Only a page without records
// ends the search; in checkpoint mode an empty page's next link is itself, the end for now.
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

// Ids as the API writes them: digits of one length (Auth0's log_id) or any text; a shorter
// number is smaller.
bool id_less(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

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
    std::optional<std::string> from;
    for (const auto record : *page.records) {
      const auto id = id_of(record);
      if (!id)
        throw Error(ErrorKind::remote, fmt::format("page {}: a record has no id at \"{}\" to continue from",
                                                   page.number, m_options.id));
      if (!from || id_less(*from, *id))
        from = *id;
    }
    // The same path, with nothing but the checkpoint: the API ignores other parameters there.
    HttpRequest request = sent;
    request.url = sent.url.substr(0, sent.url.find('?')) + "?" + form_encode(m_options.param) + "=" +
                  form_encode(*from) + "&" + form_encode(m_options.size_param) + "=" +
                  std::to_string(m_setup.page_size);
    return request;
  }

private:
  std::optional<std::string> id_of(JsonValue record) const {
    const auto id = find_pointer(record, m_options.id);
    if (!id || (!id->is_string() && !id->is_number()))
      return std::nullopt;
    return id->is_string() ? std::string(id->get_string().value_unsafe()) : compact_json(*id);
  }

  const Options& m_options;
  PagingSetup m_setup;
};

class CheckpointStyle final : public PagingStyle {
public:
  explicit CheckpointStyle(Options options) : m_options(std::move(options)) {}
  bool query_on_first_page_only() const override { return true; }
  std::string inexact_window() const override {
    return fmt::format("after the first page it pages by {} ({}), which the API cannot bound by time: a "
                       "record stored late may lie beyond where a listing of the window stops",
                       m_options.param, m_options.id);
  }
  std::unique_ptr<Paginator> start(const PagingSetup& setup) const override {
    return std::make_unique<Checkpoint>(m_options, setup);
  }
  std::string describe() const override {
    return fmt::format("a first page by search (filters reach the server there only), then {}=ID&{}=N "
                       "from its largest id ({}), following the Link header's rel=\"next\"",
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
