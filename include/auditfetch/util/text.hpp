#pragma once
// Small text helpers with no better home in a library we already use.

#include <array>
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

} // namespace auditfetch
