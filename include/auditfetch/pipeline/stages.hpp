#pragma once
// The stages of a run, wired by commands/: provider context, transport, HTTP client,
// authorizer, API session, output sink and writer.

#include "auditfetch/auth/scheme.hpp"
#include "auditfetch/mapping/mapping.hpp"
#include "auditfetch/output/writer.hpp"
#include "auditfetch/provider/api.hpp"
#include "auditfetch/provider/context.hpp"

#include <memory>

namespace auditfetch {

struct Stages {
  ProviderContext context;
  std::unique_ptr<Transport> transport;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<Authorizer> authorizer;
  std::unique_ptr<ApiSession> api;
  std::unique_ptr<FdSink> sink;
  std::unique_ptr<Writer> writer;
  MapOptions map_options;

  const ProviderSpec& spec() const { return *context.spec; }
};

} // namespace auditfetch
