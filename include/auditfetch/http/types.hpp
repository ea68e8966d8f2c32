#pragma once
// Our own plain HTTP types: query building, paging, retry and redirect policy and mapping
// never include Beast.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

struct Header {
  std::string name;
  std::string value;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url; // absolute http:// or https:// URL
  std::vector<Header> headers;
  std::string body;

  // Return the value of the first header named `name` (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
  // Replace or add a header.
  void set_header(std::string_view name, std::string value);
  // Remove every header named `name`.
  void remove_header(std::string_view name);
};

// Capacity left after a body read from the network (not a gzip one), so that a JSON parser
// that reads a little past the end can read it in place (mapping/json.hpp).
inline constexpr std::size_t k_body_padding = 64;

// Storage for response bodies, used again from page to page: a page is megabytes, and fresh
// memory for each costs a page fault every 4 KiB (or, from the heap, fragmentation that keeps
// the resident size up). take_body_buffer gives an empty string, with the largest capacity
// given back; give back a body once it is parsed. Thread-safe.
std::string take_body_buffer();
void give_back_body_buffer(std::string&& body) noexcept;

struct HttpResponse {
  int status = 0;
  std::vector<Header> headers;
  std::string body; // already decoded (gzip removed)
  std::chrono::milliseconds elapsed{0};
  // From sending the request to reading the response header: the server's time and the
  // round trip, without the transfer of the body.
  std::chrono::microseconds waited{0};

  std::optional<std::string> header(std::string_view name) const;
};

class Transport {
public:
  virtual ~Transport() = default;
  // Send one request and return the response, whatever its status. Redirects are not
  // followed. Throws Error(remote) on network failure, timeout, TLS failure or a body over
  // the size cap; the message names the step ("connect api.pingone.eu:443: Connection
  // refused").
  virtual HttpResponse send(const HttpRequest& request) = 0;
  // Stop for good, from any thread (a run ending on a signal while a helper thread is in
  // send): the send in progress, and every later one, throws Error(interrupted) at once, so
  // that the thread can be joined without waiting for the network.
  virtual void cancel() {}
  virtual bool cancelled() const { return false; }
};

struct TransportOptions {
  std::chrono::milliseconds timeout{30000}; // connect, handshake and each read/write
  std::string ca_file;                      // extra trust anchors (PEM); empty: system store only
  std::size_t body_limit = 64u * 1024u * 1024u; // after decompression
  std::string user_agent;
  // Proxies, as read from HTTPS_PROXY/HTTP_PROXY/NO_PROXY (either case).
  std::string https_proxy;
  std::string http_proxy;
  std::string no_proxy;
};

// The headers a transport sends before a request's own, each unless the request sets it: Host
// (from the URL), User-Agent (options.user_agent, when set) and Accept-Encoding: gzip. One list
// for the transport and for --explain, which shows what would be sent.
std::vector<Header> transport_headers(const HttpRequest& request, const TransportOptions& options);

// Fill the proxy fields of `options` from the environment.
void read_proxy_environment(TransportOptions& options);

// Return true when `host` is matched by a NO_PROXY list ("*", "example.com", ".example.com",
// "10.0.0.1", with optional ":port" entries ignored for matching).
bool host_in_no_proxy(std::string_view host, std::string_view no_proxy);

} // namespace auditfetch
