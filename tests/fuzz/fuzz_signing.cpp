// Fuzz what the signing schemes canonicalise: a request (method, URL, form body) into the
// canonical text an HMAC signs (Duo's canonicalisation v2), and a JWT's header and claims into
// its signing input.
//
// Input: fields separated by NUL: method, URL, form body (empty: none), date, then the JWT
// header and claims as JSON texts (used only when both are objects).
#include "fuzz_support.hpp"

#include "auditfetch/auth/signing.hpp"

#include <boost/json.hpp>
#include <boost/url/url.hpp>

#include <algorithm>

using namespace auditfetch;
using namespace auditfetch::fuzz;

namespace {

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

// The canonical query as (name, value) pairs, decoded; fails on anything but %XX escapes of
// reserved bytes, unreserved characters, '=' and '&'.
std::vector<std::pair<std::string, std::string>> decode_canonical(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  if (query.empty())
    return out;
  for (const auto pair : split(query, '&')) {
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos)
      fail("a canonical parameter without '='");
    std::string decoded[2];
    const std::string_view parts[2] = {pair.substr(0, eq), pair.substr(eq + 1)};
    for (int i = 0; i < 2; ++i)
      for (std::size_t k = 0; k < parts[i].size(); ++k) {
        const char c = parts[i][k];
        if (unreserved(c)) {
          decoded[i] += c;
          continue;
        }
        if (c != '%' || k + 2 >= parts[i].size() || !std::isxdigit(static_cast<unsigned char>(parts[i][k + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(parts[i][k + 2])) ||
            std::islower(static_cast<unsigned char>(parts[i][k + 1])) ||
            std::islower(static_cast<unsigned char>(parts[i][k + 2])))
          fail("a canonical byte that is neither unreserved nor an upper-case %XX escape");
        const auto byte = static_cast<char>(std::stoi(std::string(parts[i].substr(k + 1, 2)), nullptr, 16));
        if (unreserved(byte))
          fail("an unreserved byte escaped");
        decoded[i] += byte;
        k += 2;
      }
    out.emplace_back(decoded[0], decoded[1]);
  }
  return out;
}

std::string base64url_decode(std::string_view text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    const auto at = alphabet.find(c);
    if (at == std::string::npos)
      fail("a byte outside base64url in a JWT part");
    bits = (bits << 6) | static_cast<unsigned>(at);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

void check_canonical(const std::vector<std::string_view>& f) {
  HttpRequest request;
  request.method = std::string(f[0]);
  request.url = std::string(f[1]);
  if (!f[2].empty()) {
    request.body = std::string(f[2]);
    request.set_header("Content-Type", "application/x-www-form-urlencoded");
  }
  const std::string date(f[3]);
  if (date.find('\n') != std::string::npos)
    return;
  std::string text;
  try {
    text = canonical_request_v2(request, date);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::usage)
      fail("canonical_request_v2 threw a non-usage error");
    return;
  }
  // Five lines: the date as given, the method upper-cased, the host, the path, the query.
  const auto lines = split(text, '\n');
  if (lines.size() < 5 || lines[0] != date)
    fail("the canonical text does not start with the date line");
  std::string method = request.method;
  std::transform(method.begin(), method.end(), method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (method.find('\n') == std::string::npos && lines[1] != method)
    fail("the method line is not the method upper-cased");
  const auto query = lines.back();
  (void)decode_canonical(query);
  std::vector<std::pair<std::string_view, std::string_view>> encoded;
  if (!query.empty())
    for (const auto pair : split(query, '&'))
      encoded.emplace_back(pair.substr(0, pair.find('=')), pair.substr(pair.find('=') + 1));
  if (!std::is_sorted(encoded.begin(), encoded.end()))
    fail("canonical parameters not sorted by encoded name, then value");
  // The same parameters in another order sign the same text.
  if (f[2].empty()) {
    // Reordered as written (encoded): decoding and encoding again may change a byte ('+').
    boost::urls::url url(request.url);
    std::vector<boost::urls::param> given;
    for (const auto& p : url.encoded_params())
      given.emplace_back(p.key, p.value, p.has_value);
    std::reverse(given.begin(), given.end());
    url.encoded_params().clear();
    for (const auto& p : given)
      url.encoded_params().append(boost::urls::param_pct_view(p.key, p.value, p.has_value));
    HttpRequest reordered = request;
    reordered.url = std::string(url.buffer());
    std::string again;
    try {
      again = canonical_request_v2(reordered, date);
    } catch (const Error&) {
      fail("reordering the parameters made the URL unsignable");
    }
    if (again != text)
      fail("the canonical text depends on the order of the parameters");
  }
  for (const char* digest : {"sha1", "sha256", "sha512"}) {
    const auto hex = hmac_hex(digest, "secret", text);
    const std::size_t want = digest == std::string_view("sha1") ? 40 : digest == std::string_view("sha256") ? 64 : 128;
    if (hex.size() != want ||
        hex.find_first_not_of("0123456789abcdef") != std::string::npos)
      fail("an HMAC that is not lower-case hex of its digest's length");
  }
}

void check_jwt(std::string_view header_text, std::string_view claims_text) {
  boost::system::error_code ec1, ec2;
  const auto header = boost::json::parse(header_text, ec1);
  const auto claims = boost::json::parse(claims_text, ec2);
  if (ec1 || ec2 || !header.is_object() || !claims.is_object())
    return;
  const auto input = jwt_signing_input(header.as_object(), claims.as_object());
  const auto dot = input.find('.');
  if (dot == std::string::npos || input.find('.', dot + 1) != std::string::npos)
    fail("a JWT signing input without exactly one '.'");
  // Each part must decode to exactly the JSON text of what was signed. The text is compared,
  // not the re-parsed value: Boost.JSON 1.81's number parser is not correctly rounded, so the
  // shortest form of a double such as 3.300640964729277E-47 can parse back one ULP away.
  if (base64url_decode(input.substr(0, dot)) != boost::json::serialize(header) ||
      base64url_decode(input.substr(dot + 1)) != boost::json::serialize(claims))
    fail("a JWT part does not decode to what was signed");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto fields = split(as_text(data, size), '\0');
  fields.resize(6);
  check_canonical(fields);
  check_jwt(fields[4], fields[5]);
  return 0;
}
