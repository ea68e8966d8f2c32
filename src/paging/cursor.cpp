// The body holds a cursor, sent back as a query parameter: Truto's next_cursor, Slack's
// response_metadata.next_cursor, Google's nextPageToken. No cursor, null or "" is the end.
#include "auditfetch/paging/style.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/util/error.hpp"

#include <fmt/format.h>

namespace auditfetch {
namespace {

struct Options {
  std::string pointer;
  std::string param;
  std::string join; // a cursor given as an array: its values joined by this (Duo: ",")
};

class Cursor final : public Paginator {
public:
  explicit Cursor(const Options& options) : m_options(options) {}

  std::optional<HttpRequest> next(const HttpRequest& sent, const Page& page) override {
    const auto cursor = find_pointer(page.parsed.root, m_options.pointer);
    if (!cursor || cursor->is_null() ||
        (cursor->is_string() && cursor->get_string().value_unsafe().empty()))
      return std::nullopt;
    std::string text;
    if (cursor->is_string()) {
      text = cursor->get_string().value_unsafe();
    } else if (cursor->is_array() && !m_options.join.empty()) {
      const simdjson::dom::array parts = cursor->get_array().value_unsafe();
      for (const auto part : parts) {
        if (!part.is_string() && !part.is_number())
          throw Error(ErrorKind::remote, fmt::format("page {}: the cursor at \"{}\" holds a value that "
                                                     "is not a string or a number",
                                                     page.number, m_options.pointer));
        text += (text.empty() ? "" : m_options.join) +
                (part.is_string() ? std::string(part.get_string().value_unsafe()) : compact_json(part));
      }
    } else {
      throw Error(ErrorKind::remote, fmt::format("page {}: the cursor at \"{}\" is not a string",
                                                 page.number, m_options.pointer));
    }
    HttpRequest request = sent;
    request.url = set_query_param(sent.url, m_options.param, text);
    return request;
  }

private:
  const Options& m_options;
};

class CursorStyle final : public PagingStyle {
public:
  explicit CursorStyle(Options options) : m_options(std::move(options)) {}
  std::unique_ptr<Paginator> start(const PagingSetup&) const override {
    return std::make_unique<Cursor>(m_options);
  }
  std::string describe() const override {
    return fmt::format("sends the cursor at {} back as {}", m_options.pointer, m_options.param);
  }

private:
  Options m_options;
};

} // namespace

std::unique_ptr<PagingStyle> make_cursor_style(DefObject& options) {
  return std::make_unique<CursorStyle>(Options{options.require("cursor").pointer(),
                                               options.require("param").string(),
                                               options.string_or("join", "")});
}

} // namespace auditfetch
