// The cursor travels in a JSON request body (1Password's Events API): after the first request,
// whatever it carried, each next one is the same POST with only {"FIELD": cursor}.
#include "auditfetch/paging/style.hpp"

#include "auditfetch/util/error.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace auditfetch {
namespace {

struct Options {
  std::string pointer; // the cursor in the response
  std::string field;   // its name in the next request's body
};

class BodyCursor final : public Paginator {
public:
  explicit BodyCursor(const Options& options) : m_options(options) {}

  std::optional<HttpRequest> next(const HttpRequest& sent, const Page& page) override {
    const auto cursor = find_pointer(page.parsed.root, m_options.pointer);
    if (!cursor || cursor->is_null() ||
        (cursor->is_string() && cursor->get_string().value_unsafe().empty()))
      return std::nullopt;
    if (!cursor->is_string())
      throw Error(ErrorKind::remote, fmt::format("page {}: the cursor at \"{}\" is not a string",
                                                 page.number, m_options.pointer));
    HttpRequest request = sent;
    request.body = boost::json::serialize(
        boost::json::object{{m_options.field, std::string(cursor->get_string().value_unsafe())}});
    return request;
  }

private:
  const Options& m_options;
};

class BodyCursorStyle final : public PagingStyle {
public:
  explicit BodyCursorStyle(Options options) : m_options(std::move(options)) {}
  std::unique_ptr<Paginator> start(const PagingSetup&) const override {
    return std::make_unique<BodyCursor>(m_options);
  }
  std::string describe() const override {
    return fmt::format("sends the cursor at {} back as {{\"{}\": ...}} in the request body", m_options.pointer,
                       m_options.field);
  }

private:
  Options m_options;
};

} // namespace

std::unique_ptr<PagingStyle> make_body_cursor_style(DefObject& options) {
  return std::make_unique<BodyCursorStyle>(
      Options{options.require("cursor").pointer(), options.string_or("field", "cursor")});
}

} // namespace auditfetch
