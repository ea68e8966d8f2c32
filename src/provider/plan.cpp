#include "auditfetch/provider/plan.hpp"

#include "auditfetch/error.hpp"
#include "auditfetch/http/url.hpp"
#include "auditfetch/mapping/mapping.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace auditfetch {
namespace {

// What a dialect made of the query: native parameters and the filters it pushed down.
struct NativeFilter {
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string> pushed;
};

// Return the native action values for the requested actions, or nullopt when any of them
// cannot be expressed exactly (a unified action backed by a pattern such as "*.CREATED").
std::optional<std::vector<std::string>> native_action_values(const ProviderSpec& spec,
                                                             const std::vector<std::string>& actions) {
  std::vector<std::string> values;
  for (const auto& action : actions) {
    if (!is_unified_action(action)) {
      values.push_back(action);
      continue;
    }
    auto natives = native_actions_for(spec, action);
    if (!natives)
      return std::nullopt;
    values.insert(values.end(), natives->begin(), natives->end());
  }
  // A unified action nothing maps to matches nothing; the server cannot say "false".
  if (values.empty())
    return std::nullopt;
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

NativeFilter scim_filter(const ProviderSpec& spec, const Query& query,
                         const std::optional<Timestamp>& since,
                         const std::optional<Timestamp>& until) {
  const auto& f = spec.list.filter;
  std::vector<std::string> terms;
  NativeFilter out;
  if (!f.time_field.empty()) {
    if (since) {
      terms.push_back(fmt::format("{} ge {}", f.time_field, scim_quote(format_rfc3339_ms(*since))));
      out.pushed.push_back("since");
    }
    if (until) {
      terms.push_back(fmt::format("{} lt {}", f.time_field, scim_quote(format_rfc3339_ms(*until))));
      out.pushed.push_back("until");
    }
  }
  auto field = [&](const char* name) -> const std::string* {
    auto it = f.fields.find(name);
    return it == f.fields.end() ? nullptr : &it->second;
  };
  auto equals = [&](const char* name, const std::optional<std::string>& value) {
    if (!value)
      return;
    if (const auto* attribute = field(name)) {
      terms.push_back(fmt::format("{} eq {}", *attribute, scim_quote(*value)));
      out.pushed.push_back(name);
    }
  };
  equals("actor_id", query.actor_id);
  equals("entity", query.entity);
  equals("entity_type", query.entity_type);
  if (!query.actions.empty()) {
    if (const auto* attribute = field("action")) {
      if (auto values = native_action_values(spec, query.actions)) {
        std::vector<std::string> alternatives;
        for (const auto& value : *values)
          alternatives.push_back(fmt::format("{} eq {}", *attribute, scim_quote(value)));
        std::string joined;
        for (const auto& a : alternatives)
          joined += (joined.empty() ? "" : " OR ") + a;
        terms.push_back(alternatives.size() > 1 ? "(" + joined + ")" : joined);
        out.pushed.push_back("action");
      }
    }
  }
  for (const auto& native : query.native_filters)
    terms.push_back("(" + native + ")");
  if (!terms.empty()) {
    std::string expression;
    for (const auto& term : terms)
      expression += (expression.empty() ? "" : " AND ") + term;
    out.params.emplace_back(f.param, expression);
  }
  return out;
}

} // namespace

std::string scim_quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

bool LocalFilter::empty() const {
  return !since && !until && actions.empty() && !actor_id && !entity && !entity_type;
}

bool LocalFilter::matches(const Activity& a) const {
  if (since && (!a.created_at || *a.created_at < *since))
    return false;
  if (until && (!a.created_at || *a.created_at >= *until))
    return false;
  if (actor_id && a.actor_user_id != actor_id)
    return false;
  if (entity && a.entity != entity)
    return false;
  if (entity_type && a.entity_type != entity_type)
    return false;
  if (!actions.empty()) {
    const bool any = std::any_of(actions.begin(), actions.end(), [&](const std::string& wanted) {
      return a.action == wanted || a.native_action == wanted;
    });
    if (!any)
      return false;
  }
  return true;
}

ListPlan plan_list(const ProviderContext& context, const Query& query, Timestamp now) {
  const auto& spec = *context.spec;
  const auto& filter_spec = spec.list.filter;
  ListPlan plan;

  if (query.since && query.until && *query.since >= *query.until)
    throw Error(ErrorKind::usage,
                fmt::format("--since {} is not before --until {}", format_rfc3339_ms(*query.since),
                            format_rfc3339_ms(*query.until)));
  plan.effective_since = query.since;
  plan.effective_until = query.until;
  if (filter_spec.time_range_required) {
    if (!plan.effective_since)
      plan.effective_since =
          (query.until ? *query.until : now) -
          parse_duration(filter_spec.default_since.value_or("7d"), "default_since");
    // One millisecond past `now`, so an activity stamped this very millisecond is included.
    if (!plan.effective_until)
      plan.effective_until = now + std::chrono::milliseconds{1};
  }

  if (!query.native_filters.empty() && filter_spec.param.empty())
    throw Error(ErrorKind::usage, fmt::format("--filter: {} has no native filter language", spec.name),
                "use the unified filters (--action, --actor-id, --since, ...)");

  NativeFilter native;
  if (!filter_spec.param.empty()) {
    switch (filter_spec.dialect) {
    case FilterDialect::scim:
      native = scim_filter(spec, query, plan.effective_since, plan.effective_until);
      break;
    }
  }

  plan.filter.since = query.since;
  plan.filter.until = query.until;
  plan.filter.actions = query.actions;
  plan.filter.actor_id = query.actor_id;
  plan.filter.entity = query.entity;
  plan.filter.entity_type = query.entity_type;
  plan.pushed = native.pushed;
  const std::pair<const char*, bool> requested[] = {
      {"since", query.since.has_value()},       {"until", query.until.has_value()},
      {"action", !query.actions.empty()},       {"actor_id", query.actor_id.has_value()},
      {"entity", query.entity.has_value()},     {"entity_type", query.entity_type.has_value()},
  };
  for (const auto& [name, present] : requested)
    if (present && std::find(plan.pushed.begin(), plan.pushed.end(), name) == plan.pushed.end())
      plan.local.emplace_back(name);

  const auto& ps = spec.list.page_size;
  plan.page_size = query.page_size.value_or(ps.default_size);
  if (plan.page_size == 0 || plan.page_size > ps.max)
    throw Error(ErrorKind::usage,
                fmt::format("--page-size {} is out of range for {}", plan.page_size, spec.name),
                fmt::format("use 1 to {}", ps.max));
  // With everything evaluated by the server, a small --limit needs only a small page.
  if (query.limit && plan.local.empty())
    plan.page_size = std::min(plan.page_size, std::max<std::size_t>(*query.limit, 1));

  std::vector<std::pair<std::string, std::string>> params = native.params;
  if (!ps.param.empty())
    params.emplace_back(ps.param, std::to_string(plan.page_size));
  params.insert(params.end(), query.params.begin(), query.params.end());

  const auto path = expand_template(spec.list.path, context.vars, Encoding::path_segment);
  plan.first.url = append_query(context.base_url + path, params);
  plan.first.set_header("Accept", "application/json");
  return plan;
}

HttpRequest plan_get(const ProviderContext& context, const std::string& id) {
  const auto& spec = *context.spec;
  if (!spec.get.path)
    throw Error(ErrorKind::usage, fmt::format("{} cannot fetch one activity by id", spec.name),
                spec.get.unsupported_reason);
  if (id.empty())
    throw Error(ErrorKind::usage, "get: the activity id is empty");
  auto vars = context.vars;
  vars["id"] = id;
  HttpRequest request;
  request.url = context.base_url + expand_template(*spec.get.path, vars, Encoding::path_segment);
  request.set_header("Accept", "application/json");
  return request;
}

} // namespace auditfetch
