#include "auditfetch/http/types.hpp"

#include "auditfetch/http/url.hpp"
#include "auditfetch/util/text.hpp"

#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <mutex>

namespace auditfetch {

namespace {

class BodyPool {
public:
  std::string take() {
    std::lock_guard lock(m_mutex);
    if (m_free.empty())
      return {};
    // The largest: a gzip body read is small, the page it inflates to is not.
    const auto largest = std::max_element(m_free.begin(), m_free.end(), [](const auto& a, const auto& b) {
      return a.capacity() < b.capacity();
    });
    auto body = std::move(*largest);
    m_free.erase(largest);
    return body;
  }

  void give(std::string&& body) noexcept {
    // Small ones are not worth keeping; and only a few are ever in flight.
    if (body.capacity() < k_worth_keeping)
      return;
    try {
      body.clear();
      std::lock_guard lock(m_mutex);
      if (m_free.size() < k_kept)
        m_free.push_back(std::move(body));
    } catch (...) {
      // Not kept: freed.
    }
  }

private:
  static constexpr std::size_t k_kept = 4;
  static constexpr std::size_t k_worth_keeping = 64 * 1024;
  std::mutex m_mutex;
  std::vector<std::string> m_free;
};

BodyPool& body_pool() {
  static BodyPool pool;
  return pool;
}

bool iends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && iequals(text.substr(text.size() - suffix.size()), suffix);
}

std::optional<std::string> header_value(const std::vector<Header>& headers, std::string_view name) {
  const auto it = std::find_if(headers.begin(), headers.end(),
                               [&](const Header& header) { return iequals(header.name, name); });
  if (it == headers.end())
    return std::nullopt;
  return it->value;
}

// "[::1]" -> "::1", "example.com." -> "example.com"
std::string_view bare_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    return host.substr(1, host.size() - 2);
  if (!host.empty() && host.back() == '.')
    return host.substr(0, host.size() - 1);
  return host;
}

// Drop an optional ":port" from a NO_PROXY entry; a bare IPv6 address has several colons
// and no port.
std::string_view entry_host(std::string_view entry) {
  if (entry.starts_with('['))
    return entry.substr(0, entry.find(']') + 1);
  const auto colon = entry.find(':');
  if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos)
    return entry.substr(0, colon);
  return entry;
}

// The address as 16 bytes (IPv4 mapped into IPv6, so one comparison serves both), if it is one.
std::optional<std::array<unsigned char, 16>> address_bytes(std::string_view text) {
  if (const auto v4 = boost::urls::parse_ipv4_address(text))
    return boost::urls::ipv6_address(*v4).to_bytes();
  if (const auto v6 = boost::urls::parse_ipv6_address(text))
    return v6->to_bytes();
  return std::nullopt;
}

// "10.0.0.0/8", "fd00::/8" (curl and Python accept CIDR entries too).
bool in_cidr(std::string_view host, std::string_view entry) {
  const auto slash = entry.find('/');
  const auto host_bytes = address_bytes(host);
  const auto net_bytes = address_bytes(entry.substr(0, slash));
  if (!host_bytes || !net_bytes)
    return false;
  unsigned bits = 0;
  const auto prefix = entry.substr(slash + 1);
  const auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), bits);
  if (ec != std::errc() || end != prefix.data() + prefix.size())
    return false;
  if (boost::urls::parse_ipv4_address(entry.substr(0, slash)))
    bits += 96;
  if (bits > 128)
    return false;
  for (unsigned i = 0; i < bits; ++i) {
    const unsigned mask = 0x80u >> (i % 8);
    if (((*host_bytes)[i / 8] & mask) != ((*net_bytes)[i / 8] & mask))
      return false;
  }
  return true;
}

bool entry_matches(std::string_view host, std::string_view entry) {
  if (entry == "*")
    return true;
  if (entry.find('/') != std::string_view::npos)
    return in_cidr(host, entry);
  if (entry.starts_with("*."))
    entry.remove_prefix(1);
  const auto name = bare_host(entry_host(entry));
  if (name.starts_with('.'))
    return iends_with(host, name) || iequals(host, name.substr(1));
  return iequals(host, name) ||
         (iends_with(host, name) && host[host.size() - name.size() - 1] == '.');
}

// Lower-case first, as curl and Python's urllib do.
std::string getenv_either(const char* lower_name, const char* upper_name) {
  for (const char* name : {lower_name, upper_name})
    if (const char* value = std::getenv(name); value && *value)
      return value;
  return {};
}

} // namespace

std::optional<std::string> HttpRequest::header(std::string_view name) const {
  return header_value(headers, name);
}

void HttpRequest::set_header(std::string_view name, std::string value) {
  remove_header(name);
  headers.push_back({std::string(name), std::move(value)});
}

void HttpRequest::remove_header(std::string_view name) {
  std::erase_if(headers, [&](const Header& header) { return iequals(header.name, name); });
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  return header_value(headers, name);
}

std::vector<Header> transport_headers(const HttpRequest& request, const TransportOptions& options) {
  std::vector<Header> headers;
  if (!request.header("Host")) {
    // "host[:port]", the port only when not the scheme's default.
    const auto origin = origin_of(request.url, "request");
    headers.push_back({"Host", origin.to_string().substr(origin.scheme.size() + 3)});
  }
  if (!request.header("User-Agent") && !options.user_agent.empty())
    headers.push_back({"User-Agent", options.user_agent});
  if (!request.header("Accept-Encoding"))
    headers.push_back({"Accept-Encoding", "gzip"});
  return headers;
}

void read_proxy_environment(TransportOptions& options) {
  options.https_proxy = getenv_either("https_proxy", "HTTPS_PROXY");
  options.http_proxy = getenv_either("http_proxy", "HTTP_PROXY");
  options.no_proxy = getenv_either("no_proxy", "NO_PROXY");
}

bool host_in_no_proxy(std::string_view host, std::string_view no_proxy) {
  host = bare_host(host);
  while (!no_proxy.empty()) {
    const auto comma = no_proxy.find_first_of(", ");
    const auto entry = trim(no_proxy.substr(0, comma));
    if (!entry.empty() && entry_matches(host, entry))
      return true;
    no_proxy = comma == std::string_view::npos ? std::string_view() : no_proxy.substr(comma + 1);
  }
  return false;
}

std::string take_body_buffer() {
  return body_pool().take();
}

void give_back_body_buffer(std::string&& body) noexcept {
  body_pool().give(std::move(body));
}

} // namespace auditfetch
