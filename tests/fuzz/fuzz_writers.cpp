// Fuzz the output writers: an activity with fuzzed (attacker-controlled) fields written by
// each writer, twice over two pages, with cheap checks of what a reader relies on:
//   table   no control bytes but '\n' (and the writer's own colour codes), no bidi
//           controls, valid UTF-8, one line per row;
//   json    parses back as an array of the rows; ndjson one object per line;
//   csv     valid UTF-8, parses back (RFC 4180) to rows of the header's width, no cell a
//           spreadsheet would run as a formula;
//   and, for valid UTF-8 text, the description reaches json/csv unchanged.
//
// Input: byte 0 flags (bit 0: colour), byte 1 terminal width, then fields separated by 0x1f:
// id, actor type, actor user id, organization, group, description, action, entity,
// entity type, ip, user agent, authentication method, created_at (RFC 3339), remote_data
// (JSON; other text becomes a JSON string), provider, native action, --fields list. An empty or missing field is null; 0x1e
// alone is the empty string.
#include "fuzz_support.hpp"

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/output/writer.hpp"
#include "auditfetch/util/sanitize.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

using namespace auditfetch;
using namespace auditfetch::fuzz;

namespace {

class StringSink final : public Sink {
public:
  void write(std::string_view bytes) override { text += bytes; }
  void flush() override {}
  std::string text;
};

std::optional<std::string> field(const std::vector<std::string_view>& parts, std::size_t i) {
  if (i >= parts.size() || parts[i].empty())
    return std::nullopt;
  if (parts[i] == "\x1e")
    return std::string();
  return std::string(parts[i]);
}

// Decode one UTF-8 sequence at text[i] (strict: no overlongs, surrogates, > U+10FFFF).
// Returns its length, 0 when invalid.
std::size_t utf8_length(std::string_view text, std::size_t i, char32_t& cp) {
  const auto b = [&](std::size_t k) -> unsigned {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0u;
  };
  const unsigned lead = b(0);
  std::size_t n;
  if (lead < 0x80) {
    cp = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    cp = lead & 0x07;
  } else {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80)
      return 0;
    cp = cp << 6 | (b(k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

bool valid_utf8(std::string_view text) {
  char32_t cp;
  for (std::size_t i = 0; i < text.size();) {
    const auto n = utf8_length(text, i, cp);
    if (n == 0)
      return false;
    i += n;
  }
  return true;
}

bool is_bidi_control(char32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
         cp == 0x200F || cp == 0x061C;
}

void check_table(std::string_view out, bool color, std::size_t rows) {
  if (!valid_utf8(out))
    fail("table: invalid UTF-8");
  std::size_t lines = 0;
  for (std::size_t i = 0; i < out.size();) {
    char32_t cp;
    const auto n = utf8_length(out, i, cp);
    if (cp == '\n') {
      ++lines;
    } else if (cp == 0x1B) {
      // Only the writer's own SGR sequences: ESC [ digits m.
      if (!color)
        fail("table: ESC without colour");
      std::size_t j = i + 1;
      if (j >= out.size() || out[j] != '[')
        fail("table: ESC not starting an SGR sequence");
      for (++j; j < out.size() && out[j] >= '0' && out[j] <= '9'; ++j) {
      }
      if (j >= out.size() || out[j] != 'm')
        fail("table: ESC not starting an SGR sequence");
      i = j + 1;
      continue;
    } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
      fail("table: a control character reached the terminal");
    } else if (is_bidi_control(cp)) {
      fail("table: a bidi control reached the terminal");
    }
    i += n;
  }
  if (lines != rows + 1 || (!out.empty() && out.back() != '\n'))
    fail("table: not one line per row");
}

// RFC 4180, as a spreadsheet reads it.
std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '"') {
      if (!cell.empty())
        fail("csv: quote inside an unquoted cell");
      for (++i;; ++i) {
        if (i >= text.size())
          fail("csv: unterminated quoted cell");
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            cell += '"';
            ++i;
            continue;
          }
          ++i;
          break;
        }
        cell += text[i];
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\r')
        fail("csv: text after a quoted cell");
      continue;
    }
    if (text[i] == ',') {
      row.push_back(std::move(cell));
      cell.clear();
      ++i;
    } else if (text[i] == '\r') {
      if (i + 1 >= text.size() || text[i + 1] != '\n')
        fail("csv: bare CR");
      row.push_back(std::move(cell));
      cell.clear();
      rows.push_back(std::move(row));
      row.clear();
      i += 2;
    } else if (text[i] == '\n') {
      fail("csv: bare LF outside quotes");
    } else {
      cell += text[i++];
    }
  }
  if (!row.empty() || !cell.empty())
    fail("csv: last row not terminated by CRLF");
  return rows;
}

void check_csv(std::string_view out, const Activity& a, std::size_t rows) {
  if (!valid_utf8(out))
    fail("csv: invalid UTF-8");
  const auto table = parse_csv(out);
  if (table.size() != rows + 1)
    fail("csv: wrong number of rows");
  const auto& header = table.front();
  for (const auto& row : table)
    if (row.size() != header.size())
      fail("csv: a row is not as wide as the header");
  for (std::size_t r = 1; r < table.size(); ++r)
    for (std::size_t c = 0; c < header.size(); ++c) {
      const auto& cell = table[r][c];
      if (!cell.empty() && std::string_view("=+-@\t\r").find(cell.front()) != std::string_view::npos)
        fail("csv: a cell starts like a formula");
      if (header[c] == "description" && a.description && valid_utf8(*a.description)) {
        const auto& d = *a.description;
        const bool formula =
            !d.empty() && std::string_view("=+-@\t\r").find(d.front()) != std::string_view::npos;
        // Made safe as in a table (escapes, bidi controls), line breaks and tabs kept.
        if (cell != (formula ? "'" : "") + sanitize_for_terminal(d, LineBreaks::keep))
          fail("csv: the description changed");
      }
    }
}

void check_json_object(const boost::json::value& v, const Activity& a) {
  if (!v.is_object())
    fail("json: a row is not an object");
  const auto* d = v.get_object().if_contains("description");
  if (d && a.description && valid_utf8(*a.description) &&
      (!d->is_string() || d->get_string() != *a.description))
    fail("json: the description changed");
}

void check_json(std::string_view out, const Activity& a, std::size_t rows) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(out, ec);
  if (ec || !v.is_array() || v.get_array().size() != rows)
    fail("json: output is not an array of the rows");
  for (const auto& row : v.get_array())
    check_json_object(row, a);
}

void check_ndjson(std::string_view out, const Activity& a, std::size_t rows) {
  const auto lines = split(out, '\n');
  if (lines.size() != rows + 1 || !lines.back().empty())
    fail("ndjson: not one line per row");
  for (std::size_t i = 0; i < rows; ++i) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(lines[i], ec);
    if (ec)
      fail("ndjson: a line does not parse");
    check_json_object(v, a);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2)
    return 0;
  const bool color = data[0] & 1;
  const std::size_t width = data[1];
  const auto parts = split(as_text(data + 2, size - 2), '\x1f');

  Activity a;
  a.id = field(parts, 0);
  a.actor_type = field(parts, 1);
  a.actor_user_id = field(parts, 2);
  a.organization = field(parts, 3);
  a.group = field(parts, 4);
  a.description = field(parts, 5);
  a.action = field(parts, 6);
  a.entity = field(parts, 7);
  a.entity_type = field(parts, 8);
  a.ip_address = field(parts, 9);
  a.user_agent = field(parts, 10);
  a.authentication_method = field(parts, 11);
  if (const auto t = field(parts, 12)) {
    Timestamp ts;
    if (try_parse_rfc3339(*t, ts))
      a.created_at = ts;
  }
  boost::json::value remote;
  std::optional<JsonDocument> remote_document; // what remote_data points into
  if (const auto r = field(parts, 13)) {
    boost::system::error_code ec;
    remote = boost::json::parse(*r, ec);
    if (ec)
      remote = boost::json::string(*r);
    // remote_data is a parsed record, so its strings are valid UTF-8.
    if (!ec || valid_utf8(*r)) {
      std::string error; // a record parsed as pages are
      remote_document = parse_json(boost::json::serialize(remote), error);
      if (remote_document)
        a.remote_data = remote_document->root;
    }
  }
  a.provider = field(parts, 14).value_or("");
  a.native_action = field(parts, 15);

  WriterOptions options;
  options.color = color;
  options.terminal_width = width;
  if (const auto list = field(parts, 16)) {
    try {
      options.fields = parse_fields(*list);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::usage)
        fail("parse_fields threw a non-usage error");
      return 0;
    }
  }

  constexpr std::size_t k_rows = 2;
  for (const auto format : {Format::table, Format::json, Format::ndjson, Format::csv}) {
    options.format = format;
    StringSink sink;
    auto writer = make_writer(options, sink);
    writer->begin();
    for (std::size_t i = 0; i < k_rows; ++i) {
      writer->write(a);
      writer->end_page();
    }
    writer->finish();
    switch (format) {
    case Format::table: check_table(sink.text, color, k_rows); break;
    case Format::json: check_json(sink.text, a, k_rows); break;
    case Format::ndjson: check_ndjson(sink.text, a, k_rows); break;
    case Format::csv: check_csv(sink.text, a, k_rows); break;
    }
  }
  return 0;
}
