// Fuzz provider definition loading (providers/*.json, --providers-dir): parse, then use what
// parsed the way a run would: bind settings, plan a listing, map a record, match actions.
#include "fuzz_support.hpp"

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/mapping/mapping.hpp"
#include "auditfetch/provider/actions.hpp"
#include "auditfetch/provider/plan.hpp"


using namespace auditfetch;
using namespace auditfetch::fuzz;

namespace {

JsonValue sample_record() {
  static const auto document = [] {
    std::string error;
    auto parsed = parse_json(
        R"({"id":"ev1","type":"USER.CREATED","created":"2024-05-01T00:00:00Z",)"
        R"("recordedAt":"2024-05-01T00:00:00.000Z","action":{"type":"USER.CREATED"},)"
        R"("actor":{"id":"u1","name":"n"},"actors":{"user":{"id":"u1"}},"ip":"203.0.113.7"})",
        error);
    if (!parsed)
      fail("the sample record does not parse");
    return std::move(*parsed);
  }();
  return document.root;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ProviderSpec spec;
  try {
    spec = parse_definition(as_text(data, size), "fuzz.json");
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::usage)
      fail("parse_definition threw a non-usage error");
    return 0;
  }

  Registry registry;
  const auto name = spec.name;
  registry.add(std::move(spec));
  const auto& added = registry.find(name);

  for (const auto action : k_unified_actions) {
    (void)native_actions_for(added, action);
    (void)unified_action(added, action);
  }
  (void)unified_action(added, "USER.CREATED");

  auto context = bind_settings(added, std::string("https://api.example.test/v1"));
  if (!context)
    return 0;
  try {
    Query query;
    query.since = fixed_now() - std::chrono::hours{24};
    query.actions = {"login"};
    query.actor_id = "u1";
    (void)plan_list(*context, query, fixed_now());
  } catch (const Error&) {
  }
  try {
    (void)plan_get(*context, "ev1");
  } catch (const Error&) {
  }
  try {
    (void)map_record(*context, sample_record());
  } catch (const Error&) {
  }
  return 0;
}
