#pragma once
// UTF-8 decoding shared by the sanitiser and the JSON and CSV writers.

#include <cstddef>
#include <string>
#include <string_view>

namespace auditfetch::utf8 {

inline constexpr std::string_view k_replacement = "\xEF\xBF\xBD"; // U+FFFD

struct CodePoint {
  char32_t value;
  std::size_t length; // 0: the byte at the position does not start a valid sequence
};

// Return the code point starting at text[pos] (pos < text.size()). Overlong forms,
// surrogates, values above U+10FFFF and truncated sequences are invalid.
inline CodePoint decode(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) {
    return pos + i < text.size() ? static_cast<unsigned char>(text[pos + i]) : 0u;
  };
  const auto continuation = [&](std::size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) {
    const unsigned b = byte(i);
    return b >= lo && b <= hi;
  };
  const unsigned lead = byte(0);
  if (lead < 0x80)
    return {lead, 1};
  if (lead >= 0xC2 && lead <= 0xDF && continuation(1))
    return {(lead & 0x1Fu) << 6 | (byte(1) & 0x3Fu), 2};
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned lo = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = lead == 0xED ? 0x9F : 0xBF;
    if (continuation(1, lo, hi) && continuation(2))
      return {(lead & 0x0Fu) << 12 | (byte(1) & 0x3Fu) << 6 | (byte(2) & 0x3Fu), 3};
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned lo = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = lead == 0xF4 ? 0x8F : 0xBF;
    if (continuation(1, lo, hi) && continuation(2) && continuation(3))
      return {(lead & 0x07u) << 18 | (byte(1) & 0x3Fu) << 12 | (byte(2) & 0x3Fu) << 6 |
                  (byte(3) & 0x3Fu),
              4};
  }
  return {0, 0};
}

// Whether `text` is valid UTF-8 throughout.
inline bool valid(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const auto length = decode(text, pos).length;
    if (length == 0)
      return false;
    pos += length;
  }
  return true;
}

// Append `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD.
inline void append_valid(std::string& out, std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto cp = decode(text, pos);
    if (cp.length == 0) {
      out += k_replacement;
      ++pos;
    } else {
      out.append(text, pos, cp.length);
      pos += cp.length;
    }
  }
}

} // namespace auditfetch::utf8
