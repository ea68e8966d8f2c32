#include "auditfetch/http/beast_transport.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/util/text.hpp"
#include "auditfetch/http/url.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url.hpp>
#include <fmt/format.h>
#include <libdeflate.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <climits>
#include <cstdint>
#include <cstring>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <variant>

namespace auditfetch {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

using TcpStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
// A response body read without zero-filling it first, with room left after it: the JSON
// parser reads a page where it lies instead of copying it into a padded buffer (json.hpp).
struct PaddedStringBody {
  using value_type = std::string;

  static std::uint64_t size(const value_type& body) { return body.size(); }

  class reader {
  public:
    template <bool is_request, class Fields>
    reader(http::header<is_request, Fields>&, value_type& body) : m_body(body) {}

    void init(const boost::optional<std::uint64_t>& length, error_code& ec) {
      ec = {};
      if (!length)
        return;
      if (*length > m_body.max_size() - k_body_padding) {
        ec = http::error::buffer_overflow;
        return;
      }
      m_body.reserve(static_cast<std::size_t>(*length) + k_body_padding);
    }

    template <class Buffers> std::size_t put(const Buffers& buffers, error_code& ec) {
      ec = {};
      std::size_t n = 0;
      for (const auto buffer : beast::buffers_range_ref(buffers)) {
        m_body.append(static_cast<const char*>(buffer.data()), buffer.size());
        n += buffer.size();
      }
      return n;
    }

    void finish(error_code& ec) { ec = {}; }

  private:
    value_type& m_body;
  };
};

using Request = http::request<http::string_body>;
using Response = http::response<PaddedStringBody>;
using ResponseParser = http::response_parser<PaddedStringBody>;

constexpr std::uint32_t k_header_limit = 64 * 1024;
// Saying goodbye to a server must not hold up the exit for a whole request timeout.
constexpr std::chrono::milliseconds k_shutdown_timeout{2000};
constexpr std::size_t k_read_buffer = 64 * 1024; // Beast reads at most 64 KiB at a time
constexpr std::size_t k_mib = 1024 * 1024;

struct Endpoint {
  std::string host;
  unsigned port = 0;

  std::string to_string() const {
    const bool ipv6 = host.find(':') != std::string::npos;
    return ipv6 ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
  }
};

struct Proxy {
  Endpoint endpoint;
  std::string authorization; // "Basic ..." or empty
};

// Where one request goes and how it is named in messages.
struct Route {
  Origin origin;
  std::string url; // redacted
  std::string target; // request-target: origin-form, or absolute-form through an http proxy
  std::optional<Proxy> proxy;
  std::string key; // one kept-alive connection per key
};

struct Connection {
  template <class Stream>
  explicit Connection(Stream&& stream) : stream(std::forward<Stream>(stream)) {}

  std::variant<TcpStream, TlsStream> stream;
  beast::flat_buffer buffer;
  bool used = false;
};

enum class Inflated { ok, bad, too_large };

std::string lowercase(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(), urls::grammar::to_lower);
  return result;
}

std::string duration_text(std::chrono::milliseconds duration) {
  if (duration.count() % 1000 == 0)
    return fmt::format("{}s", duration.count() / 1000);
  return fmt::format("{}ms", duration.count());
}

std::string size_text(std::size_t bytes) {
  if (bytes % k_mib == 0)
    return fmt::format("{} MiB", bytes / k_mib);
  if (bytes % 1024 == 0)
    return fmt::format("{} KiB", bytes / 1024);
  return fmt::format("{} bytes", bytes);
}

enum class Peer { origin, proxy };

std::string step_name(std::string_view step, Peer role) {
  return role == Peer::proxy ? fmt::format("{} proxy", step) : std::string(step);
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

Proxy proxy_of(const std::string& text) {
  // HTTPS_PROXY=proxy:3128 is common; curl reads it as http://proxy:3128.
  const auto url = text.find("://") == std::string::npos ? "http://" + text : text;
  const auto parsed = urls::parse_uri(url);
  if (parsed && lowercase(parsed->scheme()) != "http")
    throw Error(
        ErrorKind::usage,
        fmt::format("proxy: '{}' is not supported; only http:// proxies are", redact_url(text)));
  const auto origin = origin_of(url, "proxy");
  Proxy proxy{{origin.host, origin.port}, {}};
  if (parsed->has_userinfo())
    proxy.authorization = "Basic " + base64_encode(parsed->user() + ":" + parsed->password());
  return proxy;
}

// A request-target of "" or "?q" means "/" and "/?q" (RFC 9112 section 3.2.1).
std::string origin_form(std::string_view url) {
  const std::string target(urls::parse_uri(url)->encoded_target());
  return target.starts_with('/') ? target : "/" + target;
}

bool is_token(std::string_view text) {
  constexpr std::string_view k_token_symbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           k_token_symbols.find(c) != std::string_view::npos;
  });
}

void check_header(const Header& header) {
  constexpr std::string_view k_line_breaks("\r\n\0", 3);
  if (!is_token(header.name) || header.value.find_first_of(k_line_breaks) != std::string::npos)
    throw Error(ErrorKind::usage, fmt::format("request header '{}' is malformed", header.name));
}

bool is_stale_connection(error_code ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == ssl::error::stream_truncated;
}

// A whole body through libdeflate, which needs it whole (bodies are read whole anyway) and
// inflates about twice as fast as zlib (bench/README.md). Concatenated streams make one body
// (gzip members, RFC 1952 section 2.2).
Inflated inflate_all(std::string_view input, decltype(&libdeflate_gzip_decompress_ex) decompress, std::size_t limit,
                     std::string& output) {
  // Each thread keeps its decompressor: it holds about 32 KiB of tables.
  thread_local const std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> decompressor(
      libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
  if (!decompressor)
    throw std::bad_alloc();
  // A gzip trailer ends with the (last) member's size: the first guess, grown when short.
  std::uint32_t isize = 0;
  if (decompress == &libdeflate_gzip_decompress_ex && input.size() >= 4)
    std::memcpy(&isize, input.data() + input.size() - 4, 4);
  std::size_t capacity = std::min(std::max<std::size_t>({isize, input.size() * 4, 4096}), limit);
  // A string grown in place doubles its capacity (libstdc++), a second page of resident memory;
  // a fresh one reserves what it is asked for, and a little more for the next, larger page.
  if (output.capacity() < capacity) {
    output = std::string();
    output.reserve(capacity + capacity / 16);
  }
  std::size_t used = 0;
  while (!input.empty()) {
    output.resize(capacity);
    std::size_t in = 0, out = 0;
    const auto result =
        decompress(decompressor.get(), input.data(), input.size(), output.data() + used, capacity - used, &in, &out);
    if (result == LIBDEFLATE_INSUFFICIENT_SPACE) {
      if (capacity >= limit)
        return Inflated::too_large;
      capacity = std::min(capacity * 2, limit);
      continue;
    }
    if (result != LIBDEFLATE_SUCCESS)
      return Inflated::bad;
    used += out;
    input.remove_prefix(in);
  }
  output.resize(used);
  return Inflated::ok;
}

// Return the verification failure OpenSSL recorded, which the handshake's error code hides.
std::string handshake_failure(const SSL* ssl, error_code ec, const std::string& host) {
  const long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK)
    return ec.message();
  if (result == X509_V_ERR_HOSTNAME_MISMATCH || result == X509_V_ERR_IP_ADDRESS_MISMATCH)
    return fmt::format("host name mismatch (certificate is not valid for '{}')", host);
  return fmt::format("certificate verify failed: {}", X509_verify_cert_error_string(result));
}

void set_peer_name(SSL* ssl, const std::string& host) {
  const bool ok = is_ip_literal(host)
                      ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1
                      : SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 &&
                            SSL_set1_host(ssl, host.c_str()) == 1;
  if (!ok)
    throw Error(ErrorKind::remote, fmt::format("TLS setup for {}: cannot set the peer name", host));
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
}

ssl::context make_tls_context(const std::string& ca_file) {
  ssl::context context(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  context.set_default_verify_paths();
  error_code ec;
  if (!ca_file.empty())
    context.load_verify_file(ca_file, ec);
  if (ec)
    throw Error(ErrorKind::usage, fmt::format("CA file '{}': {}", ca_file, ec.message()));
  return context;
}

} // namespace

struct BeastTransport::Impl {
  explicit Impl(TransportOptions options) : m_options(std::move(options)) {
    // Loading the system trust store costs tens of milliseconds: only for a TLS connection,
    // except that a --ca-file is checked at once.
    if (!m_options.ca_file.empty())
      tls_context();
  }

  ~Impl() {
    for (auto& [key, connection] : m_connections) {
      try {
        shut_down(*connection);
      } catch (const Error&) {
        // Cancelled: no goodbye.
      }
    }
  }

  // From any thread: run() stops at once and every step from now on throws.
  void cancel() {
    m_cancelled = true; // before stop(): a run() that restarts after this sees it
    m_ioc.stop();
  }

  bool cancelled() const { return m_cancelled; }

  HttpResponse send(const HttpRequest& request) {
    const auto start = Clock::now();
    const auto route = route_of(request.url);
    auto response = response_of(exchange(route, message_of(request, route)), route);
    response.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    response.waited = std::chrono::duration_cast<std::chrono::microseconds>(m_waited);
    return response;
  }

private:
  Route route_of(const std::string& url) const {
    Route route;
    route.origin = origin_of(url, "request");
    route.url = redact_url(url);
    route.target = origin_form(url);
    const bool https = route.origin.scheme == "https";
    const auto& proxy = https ? m_options.https_proxy : m_options.http_proxy;
    if (!proxy.empty() && !host_in_no_proxy(route.origin.host, m_options.no_proxy))
      route.proxy = proxy_of(proxy);
    if (route.proxy && !https)
      route.target = route.origin.to_string() + route.target;
    route.key = fmt::format("{} via {}", route.origin.to_string(),
                            route.proxy ? route.proxy->endpoint.to_string() : "direct");
    return route;
  }

  Request message_of(const HttpRequest& request, const Route& route) const {
    if (!is_token(request.method))
      throw Error(ErrorKind::usage,
                  fmt::format("request method '{}' is malformed", request.method));
    Request message;
    message.version(11);
    message.method_string(request.method);
    message.target(route.target);
    for (const auto& header : transport_headers(request, m_options))
      message.set(header.name, header.value);
    if (route.proxy && route.origin.scheme == "http" && !route.proxy->authorization.empty())
      message.set(http::field::proxy_authorization, route.proxy->authorization);
    for (const auto& header : request.headers) {
      check_header(header);
      message.insert(header.name, header.value);
    }
    message.body() = request.body;
    message.prepare_payload();
    return message;
  }

  Response exchange(const Route& route, const Request& message) {
    try {
      if (auto response = round_trip(connection_for(route), route, message))
        return std::move(*response); // a copy would cost a pass over the body
      // A kept-alive connection the server had closed: nothing was answered, so resend once.
      m_connections.erase(route.key);
      return *round_trip(connection_for(route), route, message);
    } catch (...) {
      m_connections.erase(route.key);
      throw;
    }
  }

  // Return the response, or nothing when a reused connection turned out closed before any
  // response byte arrived.
  std::optional<Response> round_trip(Connection& connection, const Route& route,
                                     const Request& message) {
    const bool reused = std::exchange(connection.used, true);
    const auto peer = route.origin.to_string();
    const auto sent = Clock::now();
    if (const auto ec = write(connection, message)) {
      if (reused && is_stale_connection(ec))
        return std::nullopt;
      fail(ec, "write", peer);
    }
    ResponseParser parser;
    parser.get().body() = take_body_buffer();
    parser.header_limit(k_header_limit);
    parser.body_limit(m_options.body_limit);
    parser.skip(message.method() == http::verb::head);
    if (const auto ec = read(connection, parser, sent)) {
      if (reused && !parser.got_some() && is_stale_connection(ec))
        return std::nullopt;
      if (ec == http::error::body_limit)
        throw too_large(route);
      if (ec == http::error::header_limit)
        throw Error(ErrorKind::remote, fmt::format("read {}: response header exceeds {}", peer,
                                                   size_text(k_header_limit)));
      fail(ec, "read", peer);
    }
    auto response = parser.release();
    if (!response.keep_alive() || connection.buffer.size() != 0)
      close(route.key);
    return response;
  }

  error_code write(Connection& connection, const Request& message) {
    return std::visit(
        [&](auto& stream) {
          beast::get_lowest_layer(stream).expires_after(m_options.timeout);
          return run([&](auto handler) { http::async_write(stream, message, std::move(handler)); });
        },
        connection.stream);
  }

  // The timeout bounds the whole response, not each read, so a server that trickles bytes
  // cannot hold a call for longer than the timeout.
  // Also notes how long the header took to come since `sent` (HttpResponse::waited).
  error_code read(Connection& connection, ResponseParser& parser, Clock::time_point sent) {
    return std::visit(
        [&](auto& stream) {
          beast::get_lowest_layer(stream).expires_after(m_options.timeout);
          auto ec = run([&](auto handler) {
            http::async_read_header(stream, connection.buffer, parser, std::move(handler));
          });
          m_waited = Clock::now() - sent;
          if (ec || parser.is_done())
            return ec;
          return run([&](auto handler) {
            http::async_read(stream, connection.buffer, parser, std::move(handler));
          });
        },
        connection.stream);
  }

  Connection& connection_for(const Route& route) {
    auto& connection = m_connections[route.key];
    if (!connection) {
      connection = open(route);
      // Beast reads at most what the buffer holds beyond 512 bytes: room for large reads keeps
      // a 1 MB page from taking thousands of recv calls and timer updates.
      connection->buffer.reserve(k_read_buffer);
    }
    return *connection;
  }

  ssl::context& tls_context() {
    if (!m_tls)
      m_tls.emplace(make_tls_context(m_options.ca_file));
    return *m_tls;
  }

  std::unique_ptr<Connection> open(const Route& route) {
    const Endpoint origin{route.origin.host, route.origin.port};
    auto tcp =
        route.proxy ? connect(route.proxy->endpoint, Peer::proxy) : connect(origin, Peer::origin);
    if (route.origin.scheme == "http")
      return std::make_unique<Connection>(std::move(tcp));
    if (route.proxy)
      open_tunnel(tcp, origin, *route.proxy);
    auto connection = std::make_unique<Connection>(TlsStream(std::move(tcp), tls_context()));
    handshake(std::get<TlsStream>(connection->stream), origin);
    return connection;
  }

  TcpStream connect(const Endpoint& peer, Peer role) {
    const auto deadline = Clock::now() + m_options.timeout;
    const auto endpoints = resolve(peer, role, deadline);
    TcpStream stream(m_ioc);
    stream.expires_at(deadline);
    if (const auto ec =
            run([&](auto handler) { stream.async_connect(endpoints, std::move(handler)); }))
      fail(ec, step_name("connect", role), peer.to_string());
    return stream;
  }

  // getaddrinfo cannot be cancelled, so it runs on its own thread (as curl's threaded
  // resolver does), which is left to finish alone when the deadline passes.
  tcp::resolver::results_type resolve(const Endpoint& peer, Peer role, Clock::time_point deadline) {
    using Result = std::pair<error_code, tcp::resolver::results_type>;
    std::packaged_task<Result()> lookup([host = peer.host, port = std::to_string(peer.port)] {
      asio::io_context context;
      tcp::resolver resolver(context);
      error_code ec;
      auto results = resolver.resolve(host, port, ec);
      return Result{ec, std::move(results)};
    });
    auto result = lookup.get_future();
    std::thread(std::move(lookup)).detach();
    const auto step = step_name("resolve", role);
    for (;;) {
      throw_if_cancelled();
      const auto slice = std::min(deadline, Clock::now() + std::chrono::milliseconds{50});
      if (result.wait_until(slice) == std::future_status::ready)
        break;
      if (Clock::now() >= deadline)
        fail(beast::error::timeout, step, peer.host);
    }
    auto [ec, endpoints] = result.get();
    if (ec)
      fail(ec, step, peer.host);
    return endpoints;
  }

  void open_tunnel(TcpStream& stream, const Endpoint& origin, const Proxy& proxy) {
    const auto authority = origin.to_string();
    const auto step = fmt::format("CONNECT {} via proxy", authority);
    http::request<http::empty_body> request{http::verb::connect, authority, 11};
    request.set(http::field::host, authority);
    if (!proxy.authorization.empty())
      request.set(http::field::proxy_authorization, proxy.authorization);
    stream.expires_after(m_options.timeout);
    if (const auto ec =
            run([&](auto handler) { http::async_write(stream, request, std::move(handler)); }))
      fail(ec, step, proxy.endpoint.to_string());
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    parser.skip(true); // a 2xx answer to CONNECT has no body: the tunnel starts after the header
    stream.expires_after(m_options.timeout);
    if (const auto ec = run(
            [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); }))
      fail(ec, step, proxy.endpoint.to_string());
    const auto& answer = parser.get();
    if (answer.result_int() / 100 != 2)
      throw Error(ErrorKind::remote,
                  fmt::format("{} {}: {} {}", step, proxy.endpoint.to_string(), answer.result_int(),
                              std::string(answer.reason())),
                  answer.result() == http::status::proxy_authentication_required
                      ? "check the user name and password in the proxy URL"
                      : "");
    if (buffer.size() != 0)
      throw Error(ErrorKind::remote, fmt::format("{} {}: data before the TLS handshake", step,
                                                 proxy.endpoint.to_string()));
  }

  void handshake(TlsStream& stream, const Endpoint& origin) {
    set_peer_name(stream.native_handle(), origin.host);
    stream.set_verify_mode(ssl::verify_peer);
    beast::get_lowest_layer(stream).expires_after(m_options.timeout);
    const auto ec = run([&](auto handler) {
      stream.async_handshake(ssl::stream_base::client, std::move(handler));
    });
    if (!ec)
      return;
    const auto reason = ec == beast::error::timeout
                            ? timed_out()
                            : handshake_failure(stream.native_handle(), ec, origin.host);
    throw Error(ErrorKind::remote,
                fmt::format("TLS handshake with {}: {}", origin.to_string(), reason));
  }

  void close(const std::string& key) {
    if (const auto it = m_connections.find(key); it != m_connections.end()) {
      shut_down(*it->second);
      m_connections.erase(it);
    }
  }

  void shut_down(Connection& connection) {
    auto* tls = std::get_if<TlsStream>(&connection.stream);
    if (!tls || m_cancelled)
      return;
    beast::get_lowest_layer(*tls).expires_after(std::min(m_options.timeout, k_shutdown_timeout));
    // Beast's rule: ssl::error::stream_truncated here means the server closed the TCP
    // connection without its close_notify, which many servers do; it is not an error. Nor is
    // any other shutdown failure: the response was whole before the goodbye.
    run([&](auto handler) { tls->async_shutdown(std::move(handler)); });
  }

  HttpResponse response_of(Response message, const Route& route) const {
    HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    const auto coding = lowercase(message[http::field::content_encoding]);
    const bool decode =
        !message.body().empty() && (coding == "gzip" || coding == "x-gzip" || coding == "deflate");
    if (decode) {
      response.body = decoded_body(message.body(), coding, route);
      give_back_body_buffer(std::move(message.body()));
    } else {
      response.body = std::move(message.body());
    }
    for (const auto& field : message) {
      if (decode && field.name() == http::field::content_encoding)
        continue;
      const bool resized = decode && field.name() == http::field::content_length;
      response.headers.push_back(
          {std::string(field.name_string()),
           resized ? std::to_string(response.body.size()) : std::string(field.value())});
    }
    return response;
  }

  std::string decoded_body(std::string_view body, const std::string& coding,
                           const Route& route) const {
    std::string output = take_body_buffer();
    const bool deflate = coding == "deflate";
    auto status = inflate_all(body, deflate ? &libdeflate_zlib_decompress_ex : &libdeflate_gzip_decompress_ex,
                              m_options.body_limit, output);
    // Some servers send raw deflate data for "deflate", without the zlib header.
    if (deflate && status == Inflated::bad)
      status = inflate_all(body, &libdeflate_deflate_decompress_ex, m_options.body_limit, output);
    if (status == Inflated::ok)
      return output;
    if (status == Inflated::too_large)
      throw too_large(route);
    throw Error(ErrorKind::remote, fmt::format("decompress response from {}: corrupt or truncated {} data", route.url,
                                               deflate ? "deflate" : "gzip"));
  }

  Error too_large(const Route& route) const {
    return Error(ErrorKind::remote, fmt::format("response from {} exceeds the {} limit", route.url,
                                                size_text(m_options.body_limit)));
  }

  std::string timed_out() const {
    return fmt::format("timed out after {}", duration_text(m_options.timeout));
  }

  std::string reason_of(error_code ec) const {
    if (ec == beast::error::timeout)
      return timed_out();
    if (ec == http::error::end_of_stream)
      return "connection closed before a response";
    if (ec == http::error::partial_message)
      return "connection closed in the middle of the response";
    return ec.message();
  }

  [[noreturn]] void fail(error_code ec, std::string_view step, std::string_view peer) const {
    throw Error(ErrorKind::remote, fmt::format("{} {}: {}", step, peer, reason_of(ec)));
  }

  // Beast has no timeouts on blocking calls, so each step is an asynchronous operation whose
  // stream expiry is set beforehand, run to completion on the private io_context.
  // cancel() from another thread stops the loop; the operation left pending then holds a
  // handler that refers to this frame, so once cancelled the loop never runs again (every
  // call throws before it would), and the io_context destroys the handler unrun.
  template <class Initiation> error_code run(Initiation&& initiate) {
    throw_if_cancelled();
    error_code result;
    initiate([&result](error_code ec, auto&&...) { result = ec; });
    m_ioc.restart();
    throw_if_cancelled(); // cancel() after this line stops run() below at once
    m_ioc.run();
    throw_if_cancelled(); // stopped, the operation perhaps unfinished
    return result;
  }

  void throw_if_cancelled() const {
    if (m_cancelled)
      throw Error(ErrorKind::interrupted, "request cancelled");
  }

  TransportOptions m_options;
  std::atomic<bool> m_cancelled{false};
  asio::io_context m_ioc;
  std::optional<ssl::context> m_tls; // made on first use: see the constructor
  std::map<std::string, std::unique_ptr<Connection>> m_connections;
  Clock::duration m_waited{}; // of the last response header read
};

BeastTransport::BeastTransport(TransportOptions options)
    : m_impl(std::make_unique<Impl>(std::move(options))) {}

BeastTransport::~BeastTransport() = default;

HttpResponse BeastTransport::send(const HttpRequest& request) {
  return m_impl->send(request);
}

void BeastTransport::cancel() {
  m_impl->cancel();
}

bool BeastTransport::cancelled() const {
  return m_impl->cancelled();
}

} // namespace auditfetch
