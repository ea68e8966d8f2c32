// The one table of time formats. A new format is a file with its factory and a line here.
#include "auditfetch/time/format.hpp"

#include <map>

namespace auditfetch {

// The implementations, one file each.
std::unique_ptr<TimeFormat> make_rfc3339_format(int fraction_digits);
std::unique_ptr<TimeFormat> make_epoch_format(std::chrono::milliseconds unit);

namespace {

using Table = std::map<std::string_view, std::unique_ptr<TimeFormat>, std::less<>>;

const Table& table() {
  static const Table formats = [] {
    Table t;
    t.emplace("rfc3339", make_rfc3339_format(0));    // 2024-05-01T00:00:00Z
    t.emplace("rfc3339_ms", make_rfc3339_format(3)); // 2024-05-01T00:00:00.000Z
    t.emplace("epoch_seconds", make_epoch_format(std::chrono::seconds{1}));
    t.emplace("epoch_ms", make_epoch_format(std::chrono::milliseconds{1}));
    return t;
  }();
  return formats;
}

} // namespace

const TimeFormat* find_time_format(std::string_view name) {
  const auto it = table().find(name);
  return it == table().end() ? nullptr : it->second.get();
}

std::vector<std::string_view> time_format_names() {
  std::vector<std::string_view> names;
  for (const auto& [name, format] : table())
    names.push_back(name);
  return names;
}

} // namespace auditfetch
