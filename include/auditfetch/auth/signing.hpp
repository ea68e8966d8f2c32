#pragma once
// The pure parts of the schemes that sign: a JWT's signing input and its RS256 signature, and
// the canonical request an HMAC signs. No I/O; fuzzed (tests/fuzz/fuzz_signing.cpp).

#include "auditfetch/http/types.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace auditfetch {

// base64url(header) "." base64url(claims), each serialised compactly (RFC 7515 7.1).
std::string jwt_signing_input(const boost::json::object& header, const boost::json::object& claims);

// The RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) of `input` with a PEM private key
// (PKCS#8 or PKCS#1). Throws Error(usage) naming `what` (never the key) when the key does not
// load or is not RSA.
std::string rs256_signature(std::string_view pem_private_key, std::string_view input,
                            std::string_view what);

// The lower-case hex HMAC of `data` with `key`; `digest` is "sha1", "sha256" or "sha512".
std::string hmac_hex(std::string_view digest, std::string_view key, std::string_view data);

// The canonical form of a request a Duo-style HMAC signs (canonicalisation version 2): the
// date, the upper-case method, the lower-case host, the path, and the query parameters, each
// name and value percent-encoded with only A-Z a-z 0-9 - _ . ~ left as they are, sorted by
// encoded name (then value), joined by '&'; the five joined by '\n'. Form-encoded request bodies count as
// parameters. Throws Error(usage) for a URL that is not absolute.
std::string canonical_request_v2(const HttpRequest& request, std::string_view date);

// An RFC 2822 date as such signatures use it: "Tue, 21 Aug 2012 17:29:18 -0000".
std::string rfc2822_date(std::chrono::sys_seconds when);

} // namespace auditfetch
