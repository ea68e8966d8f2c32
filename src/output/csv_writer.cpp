#include "auditfetch/output/writer.hpp"

#include "auditfetch/util/sanitize.hpp"
#include "output/writers.hpp"

namespace auditfetch {
namespace {

// OWASP's CSV injection advice: a spreadsheet would run these as formulas.
bool looks_like_formula(std::string_view text) {
  return !text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos;
}

bool needs_quotes(std::string_view cell) {
  const auto is_blank = [](char c) { return c == ' ' || c == '\t'; };
  return cell.find_first_of(",\"\r\n") != std::string_view::npos ||
         (!cell.empty() && (is_blank(cell.front()) || is_blank(cell.back())));
}

void append_quoted(std::string& out, std::string_view cell) {
  out += '"';
  for (const char c : cell) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
}

// Null and empty both give an empty cell; RFC 4180 has no way to tell them apart.
void append_cell(std::string& out, const std::optional<std::string>& text) {
  if (!text)
    return;
  // Remote text is made safe as in a table (escape sequences, bidi controls and invalid UTF-8
  // shown as visible escapes), except the line breaks and tabs that quoting keeps exactly.
  std::string cell = looks_like_formula(*text) ? "'" : "";
  cell += sanitize_for_terminal(*text, LineBreaks::keep);
  if (needs_quotes(cell))
    append_quoted(out, cell);
  else
    out += cell;
}

class CsvWriter final : public Writer {
public:
  CsvWriter(const WriterOptions& options, Sink& sink)
      : m_sink(sink), m_leaves(selected_leaves(options.fields, options.source)), m_headers(options.headers) {}

  void begin() override {
    if (!m_headers)
      return;
    std::string header;
    for (const Field leaf : m_leaves) {
      if (!header.empty())
        header += ',';
      header += field_name(leaf);
    }
    m_sink.write(header + "\r\n");
  }

  void write(const Activity& activity) override {
    m_line.clear();
    for (std::size_t i = 0; i < m_leaves.size(); ++i) {
      if (i != 0)
        m_line += ',';
      append_cell(m_line, field_text(activity, m_leaves[i]));
    }
    m_line += "\r\n";
    m_sink.write(m_line);
  }

  void end_page() override { m_sink.flush(); }
  void finish() override { m_sink.flush(); }

private:
  Sink& m_sink;
  std::vector<Field> m_leaves;
  bool m_headers;
  std::string m_line;
};

} // namespace

std::unique_ptr<Writer> make_csv_writer(const WriterOptions& options, Sink& sink) {
  return std::make_unique<CsvWriter>(options, sink);
}

} // namespace auditfetch
