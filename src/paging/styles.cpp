// The one table of paging styles. A new style is a file with its factory and a line here.
#include "auditfetch/paging/style.hpp"

#include <map>

namespace auditfetch {

// The implementations, one file each.
std::unique_ptr<PagingStyle> make_body_link_style(DefObject& options);
std::unique_ptr<PagingStyle> make_link_header_style(DefObject& options);
std::unique_ptr<PagingStyle> make_cursor_style(DefObject& options);
std::unique_ptr<PagingStyle> make_offset_style(DefObject& options);
std::unique_ptr<PagingStyle> make_keyset_style(DefObject& options);
std::unique_ptr<PagingStyle> make_body_cursor_style(DefObject& options);
std::unique_ptr<PagingStyle> make_checkpoint_style(DefObject& options);

namespace {

using Factory = std::unique_ptr<PagingStyle> (*)(DefObject&);

const std::map<std::string_view, Factory>& table() {
  static const std::map<std::string_view, Factory> styles = {
      {"body_link", make_body_link_style},
      {"link_header", make_link_header_style},
      {"cursor", make_cursor_style},
      {"offset", make_offset_style},
      {"keyset", make_keyset_style},
      {"body_cursor", make_body_cursor_style},
      {"checkpoint", make_checkpoint_style},
  };
  return styles;
}

} // namespace

std::vector<std::string_view> paging_style_names() {
  std::vector<std::string_view> names;
  for (const auto& [name, factory] : table())
    names.push_back(name);
  return names;
}

std::unique_ptr<PagingStyle> make_paging_style(DefObject& pagination) {
  const auto name = pagination.require("style").one_of(paging_style_names());
  return table().at(name)(pagination);
}

} // namespace auditfetch
