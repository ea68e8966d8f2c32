// Fuzz the mapping of a record: one JSON record (attacker-controlled audit data) mapped
// through each built-in provider's mapping, then printed as JSON, which must parse back
// (with Boost.JSON: a second, independent parser), as must remote_data's compact text.
#include "fuzz_support.hpp"

#include "auditfetch/json/document.hpp"
#include "auditfetch/mapping/mapping.hpp"
#include "auditfetch/output/writer.hpp"

#include <boost/json/parse.hpp>

using namespace auditfetch;
using namespace auditfetch::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string error;
  const auto parsed = parse_json(as_text(data, size), error); // as parse_page reads pages
  if (!parsed)
    return 0;
  const auto record = parsed->root;
  for (const auto& context : builtin().contexts) {
    for (const bool remote_data : {true, false}) {
      try {
        const auto activity = map_record(context, record, MapOptions{remote_data});
        if (activity.provider != context.spec->name)
          fail("mapped activity names another provider");
        if (activity.actor_type && *activity.actor_type != "user" &&
            *activity.actor_type != "system" && *activity.actor_type != "anonymous")
          fail("actor.type outside user|system|anonymous");
        std::string line;
        append_activity_json(line, activity, {});
        boost::system::error_code parse_ec;
        const auto back = boost::json::parse(line, parse_ec);
        if (parse_ec || !back.is_object())
          fail("append_activity_json output does not parse back as an object");
        if (activity.remote_data) {
          (void)boost::json::parse(compact_json(*activity.remote_data), parse_ec);
          if (parse_ec)
            fail("remote_data is not valid JSON");
        }
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::remote)
          fail("map_record threw a non-remote error");
      }
    }
  }
  return 0;
}
