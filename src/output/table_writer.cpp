#include "auditfetch/output/writer.hpp"

#include "auditfetch/util/sanitize.hpp"
#include "output/writers.hpp"

#include <algorithm>
#include <cctype>

namespace auditfetch {
namespace {

constexpr std::size_t k_default_width = 120;
constexpr std::size_t k_last_column_target = 24;
constexpr std::size_t k_zoned_time_width = 29; // 2024-05-01T12:00:00.000+02:00
constexpr std::string_view k_separator = "  ";
constexpr std::string_view k_null_cell = "-";
constexpr std::string_view k_bold = "\x1b[1m";
constexpr std::string_view k_red = "\x1b[31m";
constexpr std::string_view k_green = "\x1b[32m";
constexpr std::string_view k_yellow = "\x1b[33m";
constexpr std::string_view k_reset = "\x1b[0m";

using CellText = std::optional<std::string> (*)(const Activity&);

struct Column {
  std::string header;
  Field field;                // the leaf shown, unless `composite` is set
  CellText composite = nullptr;
  std::size_t width = 0;      // preferred width until fit_widths runs
  std::size_t min_width = 8;
};

std::optional<std::string> actor_text(const Activity& a) {
  return a.actor_user_id ? a.actor_user_id : a.actor_type;
}

std::optional<std::string> entity_text(const Activity& a) {
  if (a.entity_type && a.entity)
    return *a.entity_type + ":" + *a.entity;
  return a.entity ? a.entity : a.entity_type;
}

std::vector<Column> default_columns() {
  return {
      {"TIME", Field::created_at, nullptr, 24, 24},
      {"ACTION", Field::action, nullptr, 16, 12},
      {"ACTOR", Field::actor_user_id, actor_text, 24, 8},
      {"ENTITY", Field::entity, entity_text, 24, 8},
      {"IP", Field::context_ip_address, nullptr, 15, 8},
      {"DESCRIPTION", Field::description, nullptr, 40, 8},
  };
}

std::size_t preferred_width(Field leaf) {
  switch (leaf) {
  case Field::actor_type: return 10;
  case Field::organization:
  case Field::group: return 20;
  case Field::description: return 40;
  case Field::action: return 16;
  case Field::entity_type: return 14;
  case Field::context_ip_address: return 15;
  case Field::context_user_agent: return 30;
  case Field::context_authentication_method: return 12;
  case Field::remote_data: return 60;
  case Field::provider: return 10;
  default: return 24; // ids, entity, created_at
  }
}

std::string upper_case(std::string_view text) {
  std::string upper(text);
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

std::vector<Column> selected_columns(const std::vector<Field>& selection) {
  std::vector<Column> columns;
  for (const Field leaf : expand_leaves(selection)) {
    auto header = upper_case(field_name(leaf));
    const auto width = std::max(preferred_width(leaf), header.size());
    const std::size_t min_width = leaf == Field::created_at ? 24 : 8;
    columns.push_back({std::move(header), leaf, nullptr, width, min_width});
  }
  return columns;
}

// Narrows the widest column that can still give way; false when none can.
bool narrow_widest(std::vector<Column>& columns) {
  auto widest = columns.rend();
  for (auto it = columns.rbegin() + 1; it != columns.rend(); ++it)
    if (it->width > it->min_width && (widest == columns.rend() || it->width > widest->width))
      widest = it;
  if (widest == columns.rend())
    return false;
  --widest->width;
  return true;
}

// Rows are streamed, so widths are fixed up front: the last column takes what the others
// leave, and they give way, widest first, until it has a useful minimum. Below the sum
// of the minimums the rows wrap rather than lose their timestamps.
void fit_widths(std::vector<Column>& columns, std::size_t terminal_width) {
  const auto others_width = [&] {
    std::size_t sum = (columns.size() - 1) * k_separator.size();
    for (std::size_t i = 0; i + 1 < columns.size(); ++i)
      sum += columns[i].width;
    return sum;
  };
  const auto remaining = [&] {
    const auto used = others_width();
    return terminal_width > used ? terminal_width - used : 0;
  };
  const auto target = std::min(columns.back().width, k_last_column_target);
  while (remaining() < target && narrow_widest(columns)) {
  }
  columns.back().width = std::max(remaining(), columns.back().min_width);
}

std::string_view action_color(std::string_view action) {
  if (action == "login_failed")
    return k_red;
  if (action == "login")
    return k_green;
  if (action == "destroy" || action == "user_deleted" || action == "user_deactivated")
    return k_yellow;
  return {};
}

void rstrip_spaces(std::string& line) {
  line.erase(line.find_last_not_of(' ') + 1);
}

class TableWriter final : public Writer {
public:
  TableWriter(const WriterOptions& options, Sink& sink)
      : m_sink(sink), m_color(options.color), m_zone(options.zone),
        m_columns(options.fields.empty() ? default_columns() : selected_columns(options.fields)) {
    // A zone's offset ("+02:00") is longer than "Z": the time column keeps it whole.
    if (!m_zone.is_utc())
      for (auto& column : m_columns)
        if (column.field == Field::created_at && !column.composite)
          column.width = column.min_width = std::max(column.min_width, k_zoned_time_width);
    fit_widths(m_columns, options.terminal_width == 0 ? k_default_width : options.terminal_width);
  }

  void begin() override {
    m_line.clear();
    for (std::size_t i = 0; i < m_columns.size(); ++i)
      append_cell(i, m_columns[i].header, m_color ? k_bold : std::string_view{});
    end_line();
  }

  void write(const Activity& activity) override {
    m_line.clear();
    for (std::size_t i = 0; i < m_columns.size(); ++i) {
      const auto text = cell_text(m_columns[i], activity);
      const auto color = m_color && m_columns[i].field == Field::action && !m_columns[i].composite
                             ? action_color(text.value_or(""))
                             : std::string_view{};
      append_cell(i, text ? sanitize_for_terminal(*text) : std::string(k_null_cell), color);
    }
    end_line();
  }

  // Flushed per page so that rows show up while a human watches `tail`.
  void end_page() override { m_sink.flush(); }
  void finish() override { m_sink.flush(); }

private:
  // Times in --tz's zone, with its offset; everything else as every format prints it.
  std::optional<std::string> cell_text(const Column& column, const Activity& activity) const {
    if (column.composite)
      return column.composite(activity);
    if (column.field == Field::created_at && activity.created_at && !m_zone.is_utc())
      return format_in_zone(*activity.created_at, m_zone);
    return field_text(activity, column.field);
  }

  void append_cell(std::size_t index, std::string_view text, std::string_view color) {
    const auto& column = m_columns[index];
    const auto shown = truncate_to_width(text, column.width);
    if (index != 0)
      m_line += k_separator;
    if (color.empty() || shown.empty()) {
      m_line += shown;
    } else {
      m_line += color;
      m_line += shown;
      m_line += k_reset;
    }
    if (index + 1 < m_columns.size())
      m_line.append(column.width - display_width(shown), ' ');
  }

  void end_line() {
    rstrip_spaces(m_line);
    m_line += '\n';
    m_sink.write(m_line);
  }

  Sink& m_sink;
  bool m_color;
  Zone m_zone;
  std::vector<Column> m_columns;
  std::string m_line;
};

} // namespace

std::unique_ptr<Writer> make_table_writer(const WriterOptions& options, Sink& sink) {
  return std::make_unique<TableWriter>(options, sink);
}

} // namespace auditfetch
