#include "auditfetch/commands/get.hpp"

#include "auditfetch/commands/diagnostics.hpp"
#include "auditfetch/paging/page.hpp"
#include "auditfetch/util/error.hpp"
#include "explain.hpp"
#include "stages.hpp"

#include <fmt/format.h>

namespace auditfetch {

int run_get(const GetOptions& options, const Registry& registry, Environment& environment) {
  if (options.common.explain)
    return explain_get(options, registry, environment);
  auto stages = make_stages(options.common, registry, environment,
                            options.ids.size() == 1 ? Shape::single_object : Shape::records);
  const auto& spec = stages->spec();
  // Every request is planned before the first is sent: a provider without a call for one
  // activity is refused at once.
  std::vector<HttpRequest> requests;
  for (const auto& id : options.ids)
    requests.push_back(plan_get(stages->context, id));
  bool missing = false;
  stages->writer->begin();
  for (std::size_t i = 0; i < options.ids.size(); ++i) {
    const auto& id = options.ids[i];
    const auto& request = requests[i];
    try {
      auto response = stages->api->fetch(request, Purpose::get);
      const auto page = parse_record(response, spec.get.record_pointer, request.url);
      stages->api->check_body(page.parsed.root, Purpose::get);
      const auto activity = map_record(stages->context, page.records->at(0), stages->map_options);
      stages->writer->write(activity);
      stages->writer->end_page();
    } catch (const Error& e) {
      // An id the provider does not know is reported, and the others are still fetched; any
      // other failure (credentials, network) would fail them all alike.
      const auto error = e.with_context(fmt::format("{}: get {}", spec.name, id));
      if (e.kind() != ErrorKind::not_found) {
        stages->writer->finish();
        throw error;
      }
      StderrDiagnostics::error(error.what(), error.hint());
      missing = true;
    }
  }
  stages->writer->finish();
  return missing ? exit_code(ErrorKind::not_found) : k_exit_ok;
}

} // namespace auditfetch
