#include "auditfetch/provider/plan.hpp"

#include "auditfetch/error.hpp"
#include "auditfetch/http/url.hpp"
#include "auditfetch/mapping/mapping.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

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

enum class Bound { lower, upper };

// Times in the dialect's precision: a lower bound rounds down and an upper bound up, so the
// server's range contains the requested one (the local filter trims the rest).
std::string time_text(Timestamp t, TimePrecision precision, Bound bound) {
  if (precision == TimePrecision::milliseconds)
    return format_rfc3339_ms(t);
  auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  if (bound == Bound::upper && seconds < t)
    seconds += std::chrono::seconds{1};
  return format_rfc3339_s(Timestamp{seconds});
}

const std::string* native_name(const FilterSpec& f, const char* name) {
  auto it = f.fields.find(name);
  return it == f.fields.end() ? nullptr : &it->second;
}

// SCIM (PingOne) and SailPoint's `filters` share a shape: attribute op value, joined by and.
NativeFilter expression_filter(const ProviderSpec& spec, const Query& query,
                               const std::optional<Timestamp>& since,
                               const std::optional<Timestamp>& until) {
  const auto& f = spec.list.filter;
  const bool scim = f.dialect == FilterDialect::scim;
  const std::string_view conjunction = scim ? " AND " : " and ";
  // SailPoint writes date-times unquoted; SCIM quotes every value.
  auto time_value = [&](Timestamp t, Bound bound) {
    const auto text = time_text(t, f.time_precision, bound);
    return scim ? scim_quote(text) : text;
  };
  std::vector<std::string> terms;
  NativeFilter out;
  if (!f.time_field.empty()) {
    if (since) {
      terms.push_back(fmt::format("{} ge {}", f.time_field, time_value(*since, Bound::lower)));
      out.pushed.push_back("since");
    }
    if (until) {
      terms.push_back(fmt::format("{} lt {}", f.time_field, time_value(*until, Bound::upper)));
      out.pushed.push_back("until");
    }
  }
  auto equals = [&](const char* name, const std::optional<std::string>& value) {
    if (!value)
      return;
    if (const auto* attribute = native_name(f, name)) {
      terms.push_back(fmt::format("{} eq {}", *attribute, scim_quote(*value)));
      out.pushed.push_back(name);
    }
  };
  equals("actor_id", query.actor_id);
  equals("entity", query.entity);
  equals("entity_type", query.entity_type);
  if (!query.actions.empty()) {
    const auto* attribute = native_name(f, "action");
    const auto values = attribute ? native_action_values(spec, query.actions) : std::nullopt;
    if (values) {
      std::vector<std::string> quoted;
      for (const auto& value : *values)
        quoted.push_back(scim_quote(value));
      if (quoted.size() == 1) {
        terms.push_back(fmt::format("{} eq {}", *attribute, quoted.front()));
      } else if (scim) {
        std::vector<std::string> alternatives;
        for (const auto& q : quoted)
          alternatives.push_back(fmt::format("{} eq {}", *attribute, q));
        terms.push_back(fmt::format("({})", fmt::join(alternatives, " OR ")));
      } else {
        terms.push_back(fmt::format("{} in ({})", *attribute, fmt::join(quoted, ",")));
      }
      out.pushed.push_back("action");
    }
  }
  for (const auto& native : query.native_filters)
    terms.push_back("(" + native + ")");
  if (!terms.empty())
    out.params.emplace_back(f.param, fmt::format("{}", fmt::join(terms, conjunction)));
  return out;
}

// Each filter its own query parameter (Truto, ThousandEyes).
NativeFilter param_filter(const ProviderSpec& spec, const Query& query,
                          const std::optional<Timestamp>& since,
                          const std::optional<Timestamp>& until) {
  const auto& f = spec.list.filter;
  NativeFilter out;
  auto add = [&](const char* name, const std::optional<std::string>& value) {
    if (!value)
      return;
    if (const auto* param = native_name(f, name)) {
      out.params.emplace_back(*param, *value);
      out.pushed.push_back(name);
    }
  };
  if (since)
    add("since", time_text(*since, f.time_precision, Bound::lower));
  if (until)
    add("until", time_text(*until, f.time_precision, Bound::upper));
  add("actor_id", query.actor_id);
  add("entity", query.entity);
  add("entity_type", query.entity_type);
  // One parameter holds one value: several actions are only applied locally.
  if (query.actions.size() == 1)
    if (auto values = native_action_values(spec, query.actions); values && values->size() == 1)
      add("action", values->front());
  return out;
}

// A templated parameter, or nullopt when it names a setting that is not set.
std::optional<std::string> param_value(const ParamSpec& param,
                                       const std::map<std::string, std::string>& vars) {
  try {
    return expand_template(param.value, vars, Encoding::none);
  } catch (const Error&) {
    return std::nullopt;
  }
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
  switch (filter_spec.dialect) {
  case FilterDialect::scim:
  case FilterDialect::sailpoint:
    native = expression_filter(spec, query, plan.effective_since, plan.effective_until);
    break;
  case FilterDialect::query_params:
    native = param_filter(spec, query, plan.effective_since, plan.effective_until);
    break;
  case FilterDialect::none:
    break;
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
  if (ps.param.empty() && query.page_size)
    throw Error(ErrorKind::usage, fmt::format("--page-size: {} does not let clients choose a page size", spec.name));
  plan.page_size = query.page_size.value_or(ps.default_size);
  if (plan.page_size == 0 || plan.page_size > ps.max)
    throw Error(ErrorKind::usage,
                fmt::format("--page-size {} is out of range for {}", plan.page_size, spec.name),
                fmt::format("use 1 to {}", ps.max));
  // With everything evaluated by the server, a small --limit needs only a small page.
  if (query.limit && plan.local.empty())
    plan.page_size = std::min(plan.page_size, std::max<std::size_t>(*query.limit, 1));

  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& param : spec.list.params)
    if (auto value = param_value(param, context.vars))
      params.emplace_back(param.name, *value);
  params.insert(params.end(), native.params.begin(), native.params.end());
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
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& param : spec.get.params)
    if (auto value = param_value(param, context.vars))
      params.emplace_back(param.name, *value);
  HttpRequest request;
  request.url = append_query(
      context.base_url + expand_template(*spec.get.path, vars, Encoding::path_segment), params);
  request.set_header("Accept", "application/json");
  return request;
}

} // namespace auditfetch
