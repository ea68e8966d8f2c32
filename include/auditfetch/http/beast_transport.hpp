#pragma once
// The only user of Beast and OpenSSL: HTTP/1.1 over TCP or TLS, keep-alive, gzip, proxies.

#include "auditfetch/http/types.hpp"

#include <memory>

namespace auditfetch {

class BeastTransport final : public Transport {
public:
  explicit BeastTransport(TransportOptions options);
  ~BeastTransport() override;
  BeastTransport(const BeastTransport&) = delete;
  BeastTransport& operator=(const BeastTransport&) = delete;

  // See Transport::send. One kept-alive connection per origin is reused across calls.
  // TLS: certificates and host name verified against the system store plus ca_file
  // (SSL_CERT_FILE honoured by OpenSSL), SNI set, TLS 1.2 minimum.
  // Sends "Accept-Encoding: gzip" and "User-Agent" unless the request sets them; decodes gzip.
  HttpResponse send(const HttpRequest& request) override;
  void cancel() override;
  bool cancelled() const override;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace auditfetch
