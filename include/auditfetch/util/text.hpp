#pragma once
// Small text helpers with no better home in a library we already use.

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace auditfetch {

// Standard base64 (RFC 4648) with padding.
std::string base64_encode(std::string_view bytes);

// base64url (RFC 4648 section 5) without padding, as JWTs use it.
std::string base64url_encode(std::string_view bytes);

// Decode standard base64 (padding optional, whitespace ignored); nullopt when it is not base64.
std::optional<std::string> base64_decode(std::string_view text);

// Return the text without leading and trailing spaces, tabs, CR and LF.
std::string trim(std::string_view text);

// ASCII lower case.
std::string ascii_lower(std::string_view text);

// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

// application/x-www-form-urlencoded encoding of one key or value.
std::string form_encode(std::string_view text);

// Lower-case hex SHA-256 of the bytes.
std::string sha256_hex(std::string_view bytes);

// The SHA-256 digest of the bytes.
std::array<unsigned char, 32> sha256_digest(std::string_view bytes);

// Return at most `max` bytes of text, cut at a UTF-8 boundary, with "…" when cut.
std::string truncate_text(std::string_view text, std::size_t max);

// Replace every occurrence of secret in text by "REDACTED". Secrets shorter than 8 bytes are
// left alone: they would match ordinary words, and real tokens and secrets are longer.
std::string redact_secret(std::string text, std::string_view secret);

// Scans of text being printed as JSON, eight bytes at a time: printing `remote_data` is mostly
// these two scans over the record's text (bench/README.md, "What the hot path keeps").
namespace swar {
inline constexpr std::uint64_t k_ones = 0x0101010101010101u;
inline constexpr std::uint64_t k_highs = 0x8080808080808080u;
inline std::uint64_t load(const char* at) {
  std::uint64_t word;
  std::memcpy(&word, at, sizeof word);
  return word;
}
// Nonzero when a byte of `word` is zero (exact as to whether any is).
inline std::uint64_t any_zero(std::uint64_t word) { return (word - k_ones) & ~word & k_highs; }
} // namespace swar

// The first position at or after `pos` of a byte a JSON string must escape ('"', '\\' or
// below 0x20), or text.size().
inline std::size_t find_json_escape(std::string_view text, std::size_t pos) {
  using namespace swar;
  for (; pos + 8 <= text.size(); pos += 8) {
    const auto w = load(text.data() + pos);
    if (((w - k_ones * 0x20) & ~w & k_highs) | any_zero(w ^ (k_ones * '"')) |
        any_zero(w ^ (k_ones * '\\')))
      break;
  }
  for (; pos < text.size(); ++pos) {
    const auto c = static_cast<unsigned char>(text[pos]);
    if (c < 0x20 || c == '"' || c == '\\')
      return pos;
  }
  return text.size();
}

// The first position at or after `pos` of a byte of DEL or above (0x7F to 0xFF), or
// text.size().
inline std::size_t find_del_or_high(std::string_view text, std::size_t pos) {
  using namespace swar;
  for (; pos + 8 <= text.size(); pos += 8) {
    const auto w = load(text.data() + pos);
    if (((w + k_ones) | w) & k_highs)
      break;
  }
  for (; pos < text.size(); ++pos)
    if (static_cast<unsigned char>(text[pos]) >= 0x7F)
      return pos;
  return text.size();
}

} // namespace auditfetch
