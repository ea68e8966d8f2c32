#pragma once
// The stages every command wires: provider context, transport, client, credentials, writer.

#include "auditfetch/auth/auth.hpp"
#include "auditfetch/commands/commands.hpp"
#include "auditfetch/mapping/mapping.hpp"
#include "auditfetch/output/writer.hpp"
#include "auditfetch/provider/api.hpp"

#include <memory>

namespace auditfetch {

struct Stages {
  ProviderContext context;
  std::unique_ptr<Transport> transport;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<Authenticator> auth;
  std::unique_ptr<ApiSession> api;
  std::unique_ptr<FdSink> sink;
  std::unique_ptr<Writer> writer;
  MapOptions map_options;

  const ProviderSpec& spec() const { return *context.spec; }
};

enum class Shape { stream, single_object };

// Validate every option and build the stages. Throws Error(usage) for anything wrong,
// before any request is sent.
std::unique_ptr<Stages> make_stages(const CommonOptions& options, const Registry& registry,
                                    Environment& environment, Shape shape);

} // namespace auditfetch
