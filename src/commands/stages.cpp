#include "stages.hpp"

#include "auditfetch/error.hpp"

#include <fmt/format.h>

namespace auditfetch {

std::unique_ptr<Stages> make_stages(const CommonOptions& options, const Registry& registry,
                                    Environment& environment, Shape shape) {
  auto stages = std::make_unique<Stages>();
  if (options.provider.empty())
    throw Error(ErrorKind::usage, "no provider given",
                "pass -p NAME, set AUDITFETCH_PROVIDER or use a config profile with a provider "
                "(see 'auditfetch providers')");
  const auto& spec = registry.find(options.provider);
  stages->context =
      resolve_context(spec, options.settings, options.base_url, environment.env, &options.profile);

  WriterOptions writer_options;
  writer_options.format = options.output ? parse_format(*options.output)
                          : environment.stdout_is_terminal ? Format::table
                                                           : Format::ndjson;
  if (options.fields)
    writer_options.fields = parse_fields(*options.fields);
  writer_options.single_object = shape == Shape::single_object;
  writer_options.terminal_width = environment.terminal_width;
  writer_options.color = writer_options.format == Format::table &&
                         environment.stdout_is_terminal && !environment.env("NO_COLOR");
  stages->map_options.remote_data = !options.no_remote_data;

  TransportOptions transport_options;
  transport_options.timeout = parse_duration(options.timeout, "--timeout");
  if (transport_options.timeout.count() <= 0)
    throw Error(ErrorKind::usage, "--timeout must be more than 0");
  if (options.retries < 0)
    throw Error(ErrorKind::usage, "--retries must be 0 or more");
  if (options.ca_file)
    transport_options.ca_file = *options.ca_file;
  transport_options.user_agent = "auditfetch/" AUDITFETCH_VERSION;
  read_proxy_environment(transport_options);

  CredentialFlags credential_flags{options.token_file, options.token_url, &options.profile};
  auto credentials = resolve_credentials(stages->context, credential_flags, environment.env);

  RetryPolicy policy;
  policy.retries = options.retries;
  stages->transport = environment.make_transport(transport_options);
  stages->http = std::make_unique<HttpClient>(*stages->transport, *environment.diagnostics, policy);
  stages->auth = std::make_unique<Authenticator>(spec, std::move(credentials), *stages->http);
  stages->api = std::make_unique<ApiSession>(stages->context, *stages->http, *stages->auth);
  stages->sink = std::make_unique<FdSink>(environment.stdout_fd);
  stages->writer = make_writer(writer_options, *stages->sink);
  return stages;
}

} // namespace auditfetch
