// `get` on a terminal: one block per activity, each unified field on its own line, then the
// provider's record as indented JSON.
#include "auditfetch/output/writer.hpp"

#include "auditfetch/util/sanitize.hpp"
#include "output/writers.hpp"

#include <algorithm>

namespace auditfetch {
namespace {

constexpr std::string_view k_bold = "\x1b[1m";
constexpr std::string_view k_reset = "\x1b[0m";
constexpr std::string_view k_null_text = "-";
constexpr std::size_t k_indent = 2;

void new_line(std::string& out, std::size_t depth) {
  out += '\n';
  out.append(depth * k_indent, ' ');
}

// Compact JSON (as append_compact_json prints it) laid out one member or element a line.
// Empty objects and arrays stay "{}" and "[]".
std::string indented_json(std::string_view compact) {
  std::string out;
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < compact.size(); ++i) {
    const char c = compact[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < compact.size())
        out += compact[++i];
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
    case '"':
      in_string = true;
      out += c;
      break;
    case '{':
    case '[':
      out += c;
      if (i + 1 < compact.size() && (compact[i + 1] == '}' || compact[i + 1] == ']')) {
        out += compact[++i];
        break;
      }
      new_line(out, ++depth);
      break;
    case '}':
    case ']':
      new_line(out, depth > 0 ? --depth : 0);
      out += c;
      break;
    case ',':
      out += c;
      new_line(out, depth);
      break;
    case ':': out += ": "; break;
    default: out += c;
    }
  }
  return out;
}

std::optional<std::string> detail_text(const Activity& activity, Field leaf, const Zone& zone) {
  if (leaf == Field::created_at)
    return activity.created_at ? std::optional(table_time_text(*activity.created_at, zone)) : std::nullopt;
  return field_text(activity, leaf);
}

class DetailWriter final : public Writer {
public:
  DetailWriter(const WriterOptions& options, Sink& sink)
      : m_sink(sink), m_color(options.color), m_zone(options.zone) {
    for (const Field leaf : selected_leaves(options.fields, options.source)) {
      if (leaf == Field::remote_data)
        m_remote_data = true;
      else
        m_leaves.push_back(leaf);
    }
    for (const Field leaf : m_leaves)
      m_name_width = std::max(m_name_width, field_name(leaf).size() + 1);
  }

  void begin() override {}

  void write(const Activity& activity) override {
    std::string out = m_count++ == 0 ? "" : "\n";
    for (const Field leaf : m_leaves) {
      const auto text = detail_text(activity, leaf, m_zone);
      append_name(out, field_name(leaf), m_name_width + 1);
      out += text ? sanitize_for_terminal(*text) : std::string(k_null_text);
      out += '\n';
    }
    if (m_remote_data) {
      append_name(out, "remote_data", 0);
      out += '\n';
      if (activity.remote_data)
        out += sanitize_for_terminal(indented_json(compact_json(*activity.remote_data)),
                                     LineBreaks::keep);
      else
        out += k_null_text;
      out += '\n';
    }
    m_sink.write(out);
  }

  void end_page() override { m_sink.flush(); }
  void finish() override { m_sink.flush(); }

private:
  // "name:" padded to `width`.
  void append_name(std::string& out, std::string_view name, std::size_t width) const {
    if (m_color)
      out += k_bold;
    out += name;
    out += ':';
    if (m_color)
      out += k_reset;
    if (width > name.size() + 1)
      out.append(width - name.size() - 1, ' ');
  }

  Sink& m_sink;
  bool m_color;
  Zone m_zone;
  std::vector<Field> m_leaves;
  bool m_remote_data = false;
  std::size_t m_name_width = 0;
  std::size_t m_count = 0;
};

} // namespace

std::unique_ptr<Writer> make_detail_writer(const WriterOptions& options, Sink& sink) {
  return std::make_unique<DetailWriter>(options, sink);
}

} // namespace auditfetch
