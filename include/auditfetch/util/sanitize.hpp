#pragma once
// Neutralising remote text before it reaches a terminal.

#include <cstddef>
#include <string>
#include <string_view>

namespace auditfetch {

// Return text safe to print on a terminal: C0/C1 control characters (ESC, CR, LF, TAB,
// BEL, ...) and DEL shown as visible escapes ("\x1b", "\r"), bidi controls (U+202A..U+202E,
// U+2066..U+2069, U+200E, U+200F, U+061C) shown as "\u202e", invalid UTF-8 bytes as U+FFFD.
// With LineBreaks::keep, TAB, LF and CR stay as they are: the CSV writer quotes them, and a CSV
// reader gets them back; everything else is escaped as in a table.
enum class LineBreaks { escape, keep };
std::string sanitize_for_terminal(std::string_view text, LineBreaks line_breaks = LineBreaks::escape);

// Return the number of terminal columns the (already sanitised) UTF-8 text occupies:
// one per code point, two for East Asian wide and fullwidth characters, zero for
// combining marks.
std::size_t display_width(std::string_view text);

// Return the longest prefix of `text` that fits in `width` columns, ending in "…" when cut.
std::string truncate_to_width(std::string_view text, std::size_t width);

} // namespace auditfetch
