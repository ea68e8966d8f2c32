#include "auditfetch/output/writer.hpp"

#include "auditfetch/util/sanitize.hpp"
#include "output/writers.hpp"

#include <algorithm>
#include <cctype>

namespace auditfetch {
namespace {

constexpr std::size_t k_last_column_minimum = 16;
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
  bool keep_whole = false;    // never shortened: times and ids are read whole and copied
};

std::optional<std::string> actor_text(const Activity& a) {
  return a.actor_user_id ? a.actor_user_id : a.actor_type;
}

std::optional<std::string> entity_text(const Activity& a) {
  if (a.entity_type && a.entity)
    return *a.entity_type + ":" + *a.entity;
  return a.entity ? a.entity : a.entity_type;
}

// With named sources, SOURCE follows TIME.
std::vector<Column> default_columns(bool with_source) {
  std::vector<Column> columns{
      {"TIME", Field::created_at, nullptr, true},
      {"ID", Field::id, nullptr, true},
      {"ACTION", Field::action},
      {"ACTOR", Field::actor_user_id, actor_text},
      {"ENTITY", Field::entity, entity_text},
      {"IP", Field::context_ip_address},
      {"DESCRIPTION", Field::description},
  };
  if (with_source)
    columns.insert(columns.begin() + 1, Column{"SOURCE", Field::source, nullptr, true});
  return columns;
}

std::string upper_case(std::string_view text) {
  std::string upper(text);
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

std::vector<Column> selected_columns(const std::vector<Field>& selection) {
  std::vector<Column> columns;
  for (const Field leaf : expand_leaves(selection))
    columns.push_back({upper_case(field_name(leaf)), leaf, nullptr,
                       leaf == Field::created_at || leaf == Field::id});
  return columns;
}

// The widths to print with, from the widths of what is there. On a terminal (`terminal` > 0)
// a line that does not fit shortens the last column, down to a useful minimum; if that is not
// enough, the widest other column that may be shortened gives way too (times and ids never
// do), when that makes the line fit. Otherwise the line wraps rather than lose more. Without
// a terminal nothing is shortened.
std::vector<std::size_t> fit_widths(const std::vector<Column>& columns,
                                    const std::vector<std::size_t>& natural, std::size_t terminal) {
  auto shown = natural;
  if (terminal == 0 || columns.empty())
    return shown;
  const auto last = columns.size() - 1;
  std::size_t others = last * k_separator.size();
  for (std::size_t i = 0; i < last; ++i)
    others += natural[i];
  if (others + natural[last] <= terminal)
    return shown;
  const auto last_minimum = std::min(natural[last], k_last_column_minimum);
  if (terminal >= others + last_minimum) {
    shown[last] = terminal - others;
    return shown;
  }
  shown[last] = last_minimum;
  std::optional<std::size_t> widest;
  for (std::size_t i = 0; i < last; ++i)
    if (!columns[i].keep_whole && (!widest || natural[i] > natural[*widest]))
      widest = i;
  constexpr std::size_t k_widest_minimum = 8;
  const auto excess = others + last_minimum - terminal;
  if (widest && natural[*widest] >= excess + k_widest_minimum)
    shown[*widest] = natural[*widest] - excess;
  return shown;
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

struct Cell {
  std::string text; // sanitised
  std::string_view color;
};

// Rows wait for the end of their page, so that the columns are as wide as what they hold:
// nothing but the last (or the widest) column is ever cut, and only to fit a terminal. A later
// page with a wider cell widens its column from there on.
class TableWriter final : public Writer {
public:
  TableWriter(const WriterOptions& options, Sink& sink)
      : m_sink(sink), m_color(options.color), m_headers(options.headers),
        m_terminal_width(options.terminal_width), m_zone(options.zone),
        m_columns(options.fields.empty() ? default_columns(options.source) : selected_columns(options.fields)) {
    for (const auto& column : m_columns)
      m_widths.push_back(m_headers ? display_width(column.header) : 0);
  }

  void begin() override {}

  void write(const Activity& activity) override {
    auto& row = m_rows.emplace_back();
    for (const auto& column : m_columns) {
      const auto text = cell_text(column, activity);
      const auto color = m_color && column.field == Field::action && !column.composite
                             ? action_color(text.value_or(""))
                             : std::string_view{};
      row.push_back({text ? sanitize_for_terminal(*text) : std::string(k_null_cell), color});
    }
  }

  // Flushed per page so that rows show up while a human watches `tail`.
  void end_page() override {
    write_rows();
    m_sink.flush();
  }
  void finish() override { end_page(); }

private:
  std::optional<std::string> cell_text(const Column& column, const Activity& activity) const {
    if (column.composite)
      return column.composite(activity);
    if (column.field == Field::created_at)
      return activity.created_at ? std::optional(table_time_text(*activity.created_at, m_zone))
                                 : std::nullopt;
    return field_text(activity, column.field);
  }

  void write_rows() {
    if (m_rows.empty())
      return;
    for (const auto& row : m_rows)
      for (std::size_t i = 0; i < row.size(); ++i)
        m_widths[i] = std::max(m_widths[i], display_width(row[i].text));
    const auto shown = fit_widths(m_columns, m_widths, m_terminal_width);
    if (m_headers && !m_header_written) {
      m_line.clear();
      for (std::size_t i = 0; i < m_columns.size(); ++i)
        append_cell(i, shown[i], m_columns[i].header, m_color ? k_bold : std::string_view{});
      end_line();
      m_header_written = true;
    }
    for (const auto& row : m_rows) {
      m_line.clear();
      for (std::size_t i = 0; i < row.size(); ++i)
        append_cell(i, shown[i], row[i].text, row[i].color);
      end_line();
    }
    m_rows.clear();
  }

  void append_cell(std::size_t index, std::size_t width, std::string_view text, std::string_view color) {
    const auto shown = truncate_to_width(text, width);
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
      m_line.append(width - std::min(width, display_width(shown)), ' ');
  }

  void end_line() {
    rstrip_spaces(m_line);
    m_line += '\n';
    m_sink.write(m_line);
  }

  Sink& m_sink;
  bool m_color;
  bool m_headers;
  std::size_t m_terminal_width;
  Zone m_zone;
  std::vector<Column> m_columns;
  std::vector<std::size_t> m_widths; // the widest cell of each column so far
  std::vector<std::vector<Cell>> m_rows;
  bool m_header_written = false;
  std::string m_line;
};

} // namespace

// The one place a time becomes table (and detail view) text: UTC with "Z", or in --tz's zone
// with its offset.
std::string table_time_text(Timestamp t, const Zone& zone) {
  return zone.is_utc() ? format_rfc3339_ms(t) : format_in_zone(t, zone);
}

std::unique_ptr<Writer> make_table_writer(const WriterOptions& options, Sink& sink) {
  return std::make_unique<TableWriter>(options, sink);
}

} // namespace auditfetch
