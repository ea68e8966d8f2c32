#include "auditfetch/util/sanitize.hpp"

#include "auditfetch/util/utf8.hpp"

#include <algorithm>
#include <array>

namespace auditfetch {
namespace {

struct Range {
  char32_t first;
  char32_t last;
};

// Combining marks and zero-width characters, after Markus Kuhn's wcwidth, main scripts only.
constexpr Range k_zero_width[] = {
    {0x0300, 0x036F},   {0x0483, 0x0489},   {0x0591, 0x05BD},   {0x05BF, 0x05BF},
    {0x05C1, 0x05C2},   {0x05C4, 0x05C5},   {0x05C7, 0x05C7},   {0x0610, 0x061A},
    {0x064B, 0x065F},   {0x0670, 0x0670},   {0x06D6, 0x06DC},   {0x06DF, 0x06E4},
    {0x06E7, 0x06E8},   {0x06EA, 0x06ED},   {0x0711, 0x0711},   {0x0730, 0x074A},
    {0x0900, 0x0902},   {0x093C, 0x093C},   {0x0941, 0x0948},   {0x094D, 0x094D},
    {0x0951, 0x0957},   {0x0962, 0x0963},   {0x0E31, 0x0E31},   {0x0E34, 0x0E3A},
    {0x0E47, 0x0E4E},   {0x1160, 0x11FF},   {0x1AB0, 0x1AFF},   {0x1DC0, 0x1DFF},
    {0x200B, 0x200F},   {0x2060, 0x2064},   {0x20D0, 0x20FF},   {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F},   {0xFEFF, 0xFEFF},   {0xE0000, 0xE007F}, {0xE0100, 0xE01EF},
};

// East Asian Wide and Fullwidth, plus the emoji that terminals draw two columns wide.
constexpr Range k_wide[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
    {0x23F0, 0x23F0},   {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x267F, 0x267F},   {0x2693, 0x2693},   {0x26A1, 0x26A1},
    {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},   {0x26CE, 0x26CE},
    {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
    {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},
    {0x2728, 0x2728},   {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},
    {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27B0, 0x27B0},   {0x27BF, 0x27BF},
    {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x303E},
    {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
    {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},
    {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4},
    {0x17000, 0x18AFF}, {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
    {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F251}, {0x1F300, 0x1F64F},
    {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD},
    {0x30000, 0x3FFFD},
};

template <std::size_t N>
bool in_ranges(const Range (&ranges)[N], char32_t cp) {
  const auto it = std::upper_bound(std::begin(ranges), std::end(ranges), cp,
                                   [](char32_t value, const Range& r) { return value < r.first; });
  return it != std::begin(ranges) && cp <= std::prev(it)->last;
}

// C0, DEL, C1, and the Unicode line and paragraph separators (line breaks to some viewers).
bool is_control(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

// These reorder the text around them, so a filename can be made to read backwards.
bool is_bidi_control(char32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
         cp == 0x200F || cp == 0x061C;
}

std::size_t code_point_width(char32_t cp) {
  if (cp < 0x300)
    return is_control(cp) ? 0 : 1;
  if (in_ranges(k_zero_width, cp))
    return 0;
  return in_ranges(k_wide, cp) ? 2 : 1;
}

constexpr char k_hex[] = "0123456789abcdef";

void append_escape(std::string& out, char32_t cp) {
  switch (cp) {
  case '\t': out += "\\t"; return;
  case '\r': out += "\\r"; return;
  case '\n': out += "\\n"; return;
  default: break;
  }
  if (cp <= 0x7F) {
    out += "\\x";
    out += k_hex[cp >> 4];
    out += k_hex[cp & 0xF];
    return;
  }
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4)
    out += k_hex[(cp >> shift) & 0xF];
}

} // namespace

std::string sanitize_for_terminal(std::string_view text, LineBreaks line_breaks) {
  const auto kept = [line_breaks](char32_t cp) {
    return line_breaks == LineBreaks::keep && (cp == '\t' || cp == '\n' || cp == '\r');
  };
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto cp = utf8::decode(text, pos);
    if (cp.length == 0) {
      out += utf8::k_replacement;
      ++pos;
      continue;
    }
    if ((is_control(cp.value) && !kept(cp.value)) || is_bidi_control(cp.value))
      append_escape(out, cp.value);
    else
      out.append(text, pos, cp.length);
    pos += cp.length;
  }
  return out;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto cp = utf8::decode(text, pos);
    // A stray byte shows as one replacement character.
    width += cp.length == 0 ? 1 : code_point_width(cp.value);
    pos += std::max<std::size_t>(cp.length, 1);
  }
  return width;
}

std::string truncate_to_width(std::string_view text, std::size_t width) {
  if (display_width(text) <= width)
    return std::string(text);
  if (width == 0)
    return {};
  const std::size_t limit = width - 1; // room for the ellipsis
  std::size_t used = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto cp = utf8::decode(text, pos);
    const std::size_t cp_width = cp.length == 0 ? 1 : code_point_width(cp.value);
    if (used + cp_width > limit)
      break;
    used += cp_width;
    pos += std::max<std::size_t>(cp.length, 1);
  }
  return std::string(text.substr(0, pos)) + "\u2026";
}

} // namespace auditfetch
