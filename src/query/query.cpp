#include "auditfetch/query/query.hpp"

#include "auditfetch/util/error.hpp"

#include <algorithm>

namespace auditfetch {

std::pair<std::string, std::string> parse_param(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error(ErrorKind::usage, "--param: '" + text + "' is not key=value",
                "write it like --param truto_ignore_remote_data=true");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

Query make_query(const QueryOptions& options, Timestamp now, const Zone& zone) {
  Query query;
  if (options.since)
    query.since = parse_time_arg(*options.since, now, "--since", zone);
  if (options.until)
    query.until = parse_time_arg(*options.until, now, "--until", zone);
  query.actions = options.actions;
  query.actor_id = options.actor_id;
  query.entity = options.entity;
  query.entity_type = options.entity_type;
  query.native_filters = options.filters;
  for (const auto& param : options.params)
    query.params.push_back(parse_param(param));
  query.limit = options.limit;
  query.page_size = options.page_size;
  if (options.order) {
    if (*options.order == "newest")
      query.order = PrintOrder::newest_first;
    else if (*options.order == "oldest")
      query.order = PrintOrder::oldest_first;
    else
      throw Error(ErrorKind::usage, "--order: '" + *options.order + "' is not an order",
                  "use --order newest or --order oldest");
  }
  if (query.limit && *query.limit == 0)
    throw Error(ErrorKind::usage, "--limit must be at least 1");
  return query;
}

LocalFilter LocalFilter::of(const Query& query) {
  LocalFilter filter;
  filter.since = query.since;
  filter.until = query.until;
  filter.actions = query.actions;
  filter.actor_id = query.actor_id;
  filter.entity = query.entity;
  filter.entity_type = query.entity_type;
  return filter;
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

} // namespace auditfetch
