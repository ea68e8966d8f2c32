#include "auditfetch/http/url.hpp"

#include "auditfetch/util/error.hpp"

#include <boost/url.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace auditfetch {

namespace urls = boost::urls;

namespace {

constexpr std::array<std::string_view, 15> k_secret_params{
    "token",    "access_token", "refresh_token", "id_token", "client_secret",
    "password", "passwd",       "secret",        "key",      "api_key",
    "apikey",   "code",         "signature",     "sig",      "client_assertion",
};

constexpr std::string_view k_redacted = "REDACTED";

bool is_secret_param(std::string_view name) {
  return std::any_of(k_secret_params.begin(), k_secret_params.end(), [&](std::string_view secret) {
    return urls::grammar::ci_is_equal(name, secret);
  });
}

std::string lowercase(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(), urls::grammar::to_lower);
  return result;
}

// Everything but ALPHA, DIGIT and "-._~" is escaped, so no server reads a "+" as a space or a
// "&", "=", ";" or "/" as a delimiter. Boost.URL 1.81's params() leaves "+" unescaped.
std::string encode_component(std::string_view text) {
  return urls::encode(text, urls::unreserved_chars);
}

urls::url parse_reference(std::string_view text) {
  const auto parsed = urls::parse_uri_reference(text);
  if (!parsed)
    throw Error(ErrorKind::usage, fmt::format("'{}' is not a valid URL", redact_url(text)));
  return urls::url(*parsed);
}

// Boost.URL reads a bare "?" as one empty parameter, which appending would keep as "?&a=1".
urls::url parse_for_params(std::string_view text) {
  auto url = parse_reference(text);
  if (url.has_query() && url.encoded_query().empty())
    url.remove_query();
  return url;
}

// url_view::port_number() wraps 65536 and above, so the digits are read here.
std::optional<unsigned> port_of(const urls::url_view& url, unsigned scheme_default) {
  const auto text = url.port();
  if (text.empty())
    return scheme_default;
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535)
    return std::nullopt;
  return port;
}

bool is_valid_host(const urls::url_view& url, std::string_view host) {
  switch (url.host_type()) {
  case urls::host_type::ipv4:
  case urls::host_type::ipv6:
    return true;
  case urls::host_type::name:
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    });
  default:
    return false;
  }
}

// A best effort for text Boost.URL rejects: drop the userinfo and the whole query.
std::string redact_unparsable(std::string_view text) {
  std::string result(text.substr(0, text.find('#')));
  if (const auto query = result.find('?'); query != std::string::npos)
    result.replace(query + 1, std::string::npos, k_redacted);
  const auto scheme_end = result.find("://");
  if (scheme_end == std::string::npos)
    return result;
  const auto authority = scheme_end + 3;
  const auto authority_end = result.find_first_of("/?", authority);
  const auto at =
      result.rfind('@', authority_end == std::string::npos ? result.size() : authority_end);
  if (at != std::string::npos && at >= authority)
    result.erase(authority, at + 1 - authority);
  return result;
}

// Boost.URL 1.81 keeps leading ".." segments that RFC 3986 section 5.2.4 removes
// ("http://a/b/c/d;p?q" + "../../../g" must give "http://a/g", not "http://a/../g"), and its
// set_encoded_path("/") writes "/./", so the path is mended in the string.
std::string without_dot_segments_above_root(const urls::url& url) {
  const std::string_view buffer = url.buffer();
  const std::string_view path = url.encoded_path();
  std::string mended(path);
  while (url.has_authority() && (mended.starts_with("/../") || mended.starts_with("/./")))
    mended.erase(0, mended.find('/', 1));
  if (url.has_authority() && (mended == "/.." || mended == "/."))
    mended = "/";
  const auto offset = static_cast<std::size_t>(path.data() - buffer.data());
  return std::string(buffer.substr(0, offset)) + mended +
         std::string(buffer.substr(offset + path.size()));
}

} // namespace

std::string Origin::to_string() const {
  const bool default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  const bool ipv6 = host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}{}", scheme, ipv6 ? "[" : "", host, ipv6 ? "]" : "",
                     default_port ? "" : fmt::format(":{}", port));
}

Origin origin_of(std::string_view url, std::string_view what) {
  const auto not_http = [&] {
    return Error(ErrorKind::usage,
                 fmt::format("{}: '{}' is not an http(s) URL", what, redact_url(url)));
  };
  const auto parsed = urls::parse_uri(url);
  if (!parsed)
    throw not_http();
  const auto scheme = lowercase(parsed->scheme());
  const auto host = lowercase(parsed->host_address());
  const auto port = port_of(*parsed, scheme == "https" ? 443 : 80);
  if ((scheme != "http" && scheme != "https") || !is_valid_host(*parsed, host) || !port)
    throw not_http();
  return Origin{scheme, host, *port};
}

bool is_loopback_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (urls::grammar::ci_is_equal(host, "localhost") ||
      urls::grammar::ci_is_equal(host, "localhost."))
    return true;
  if (const auto v4 = urls::parse_ipv4_address(host))
    return v4->is_loopback();
  if (const auto v6 = urls::parse_ipv6_address(host))
    return v6->is_loopback() || (v6->is_v4_mapped() && v6->to_bytes()[12] == 127);
  return false;
}

std::string append_query(std::string_view url,
                         const std::vector<std::pair<std::string, std::string>>& params) {
  auto result = parse_for_params(url);
  for (const auto& [name, value] : params)
    result.encoded_params().append({encode_component(name), encode_component(value)});
  return std::string(result.buffer());
}

std::string set_query_param(std::string_view url, std::string_view name, std::string_view value) {
  auto result = parse_for_params(url);
  result.encoded_params().set(encode_component(name), encode_component(value));
  return std::string(result.buffer());
}

std::string resolve_url(std::string_view base, std::string_view reference) {
  const auto base_url = urls::parse_uri(base);
  if (!base_url)
    throw Error(ErrorKind::usage, fmt::format("'{}' is not an absolute URL", redact_url(base)));
  const auto reference_url = urls::parse_uri_reference(reference);
  if (!reference_url)
    throw Error(ErrorKind::remote,
                fmt::format("'{}' is not a valid URL reference", redact_url(reference)));
  urls::url result;
  if (const auto resolved = urls::resolve(*base_url, *reference_url, result); !resolved)
    throw Error(ErrorKind::remote,
                fmt::format("cannot resolve '{}' against '{}': {}", redact_url(reference),
                            redact_url(base), resolved.error().message()));
  return without_dot_segments_above_root(result);
}

std::string encode_path_segment(std::string_view segment) {
  return encode_component(segment);
}

std::string redact_url(std::string_view url) {
  const auto parsed = urls::parse_uri_reference(url);
  if (!parsed)
    return redact_unparsable(url);
  urls::url result(*parsed);
  if (result.has_userinfo())
    result.remove_userinfo();
  auto params = result.encoded_params();
  for (auto it = params.begin(); it != params.end(); ++it) {
    // Copied: replace() must not be given views into the element it replaces.
    const std::string name(it->key);
    if (it->has_value && is_secret_param(it->key.decode()))
      it = params.replace(it, {name, k_redacted});
  }
  return std::string(result.buffer());
}

std::vector<std::string> template_names(std::string_view text) {
  std::vector<std::string> names;
  for (auto open = text.find('{'); open != std::string_view::npos; open = text.find('{', open + 1)) {
    const auto close = text.find('}', open);
    if (close == std::string_view::npos)
      break;
    names.emplace_back(text.substr(open + 1, close - open - 1));
  }
  return names;
}

std::string expand_template(std::string_view text, const std::map<std::string, std::string>& vars,
                            Encoding encoding) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') {
      out += text[i];
      continue;
    }
    const auto close = text.find('}', i);
    if (close == std::string_view::npos)
      throw Error(ErrorKind::usage, fmt::format("template '{}': unclosed '{{'", text));
    const std::string name(text.substr(i + 1, close - i - 1));
    const auto it = vars.find(name);
    if (it == vars.end())
      throw Error(ErrorKind::usage,
                  fmt::format("template '{}': no value for {{{}}}", text, name),
                  fmt::format("set --{}", name));
    out += encoding == Encoding::path_segment ? encode_path_segment(it->second) : it->second;
    i = close;
  }
  return out;
}

} // namespace auditfetch
