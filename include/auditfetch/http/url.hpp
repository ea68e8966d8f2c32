#pragma once
// URL helpers on top of Boost.URL, used everywhere a URL is built, compared or printed.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace auditfetch {

struct Origin {
  std::string scheme; // "http" | "https"
  std::string host;   // lower-case, no brackets for IPv6
  unsigned port = 0;  // explicit or the scheme's default

  bool operator==(const Origin&) const = default;
  std::string to_string() const; // "https://api.example.com" (port only when not default)
};

// Parse an absolute http(s) URL's origin; throws Error(usage) naming `what` when it is not one.
Origin origin_of(std::string_view url, std::string_view what = "URL");

// Return true when the host is a loopback address or "localhost".
bool is_loopback_host(std::string_view host);

// Append query parameters (encoded as needed) to a URL.
std::string append_query(std::string_view url,
                         const std::vector<std::pair<std::string, std::string>>& params);

// Return the URL with the query parameter `name` set to `value` (replaced or added).
std::string set_query_param(std::string_view url, std::string_view name, std::string_view value);

// Resolve a possibly relative reference against a base URL (for Location headers).
std::string resolve_url(std::string_view base, std::string_view reference);

// Percent-encode one path segment.
std::string encode_path_segment(std::string_view segment);

// Replace each {name} in a template with vars[name]; with Encoding::path_segment values are
// percent-encoded for a URL path. Throws Error(usage) naming a variable that has no value.
enum class Encoding { none, path_segment };
// The {name} placeholders of a template, in order.
std::vector<std::string> template_names(std::string_view text);

std::string expand_template(std::string_view text, const std::map<std::string, std::string>& vars,
                            Encoding encoding);

// Return the URL for printing: user:password removed, and the values of query parameters
// that carry secrets (token, access_token, client_secret, password, key, api_key, code,
// signature, sig) replaced by "REDACTED".
std::string redact_url(std::string_view url);

} // namespace auditfetch
