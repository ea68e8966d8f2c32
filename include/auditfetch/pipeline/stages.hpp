#pragma once
// The stages of a run, wired by commands/: provider context, transport, HTTP client,
// authorizer, API session, output sink and writer.

#include "auditfetch/auth/scheme.hpp"
#include "auditfetch/mapping/mapping.hpp"
#include "auditfetch/output/writer.hpp"
#include "auditfetch/provider/api.hpp"
#include "auditfetch/provider/context.hpp"

#include <functional>
#include <memory>

namespace auditfetch {

// One more connection to the provider account of a run: what a slice of `list --parallel`
// sends through.
struct Connection {
  std::unique_ptr<Transport> transport;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<Authorizer> authorizer;
  std::unique_ptr<ApiSession> api;
};

struct Stages {
  ProviderContext context;
  std::unique_ptr<Transport> transport;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<Authorizer> authorizer;
  std::unique_ptr<ApiSession> api;
  std::unique_ptr<FdSink> sink;
  std::unique_ptr<Writer> writer;
  MapOptions map_options;
  // The account's request budget, shared by every connection; and how to open another.
  std::shared_ptr<RateBudget> budget;
  std::function<std::unique_ptr<Connection>()> connect;

  const ProviderSpec& spec() const { return *context.spec; }
};

} // namespace auditfetch
