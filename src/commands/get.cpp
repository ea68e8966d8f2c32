#include "auditfetch/commands/commands.hpp"

#include "auditfetch/error.hpp"
#include "auditfetch/paging/paging.hpp"
#include "auditfetch/provider/plan.hpp"
#include "stages.hpp"

#include <fmt/format.h>

namespace auditfetch {

int run_get(const GetOptions& options, const Registry& registry, Environment& environment) {
  auto stages = make_stages(options.common, registry, environment, Shape::single_object);
  const auto request = plan_get(stages->context, options.id);
  try {
    const auto response = stages->api->fetch(request, Purpose::get);
    const auto page = parse_record(stages->spec(), response, request.url);
    const auto activity = map_record(stages->context, page.records->at(0), stages->map_options);
    stages->writer->begin();
    stages->writer->write(activity);
    stages->writer->end_page();
    stages->writer->finish();
  } catch (const Error& e) {
    throw e.with_context(fmt::format("{}: get {}", stages->spec().name, options.id));
  }
  return k_exit_ok;
}

} // namespace auditfetch
