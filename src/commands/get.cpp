#include "auditfetch/commands/get.hpp"

#include "auditfetch/paging/page.hpp"
#include "auditfetch/util/error.hpp"
#include "explain.hpp"
#include "stages.hpp"

#include <fmt/format.h>

namespace auditfetch {

int run_get(const GetOptions& options, const Registry& registry, Environment& environment) {
  if (options.common.explain)
    return explain_get(options, registry, environment);
  auto stages = make_stages(options.common, registry, environment, Shape::single_object);
  const auto& spec = stages->spec();
  const auto request = plan_get(stages->context, options.id);
  try {
    auto response = stages->api->fetch(request, Purpose::get);
    const auto page = parse_record(response, spec.get.record_pointer, request.url);
    stages->api->check_body(page.parsed.root, Purpose::get);
    const auto activity = map_record(stages->context, page.records->at(0), stages->map_options);
    stages->writer->begin();
    stages->writer->write(activity);
    stages->writer->end_page();
    stages->writer->finish();
  } catch (const Error& e) {
    throw e.with_context(fmt::format("{}: get {}", spec.name, options.id));
  }
  return k_exit_ok;
}

} // namespace auditfetch
