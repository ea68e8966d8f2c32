// Loading provider definitions: every key read, every template, pointer, style, dialect,
// scheme and format checked when the file is loaded, so that a mistake is an error naming
// FILE:LINE, never a parameter silently left out.
#include "auditfetch/provider/registry.hpp"

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/provider/builtin.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/suggest.hpp"
#include "auditfetch/util/text.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace auditfetch {
namespace {

SettingSpec parse_setting(const DefNode& node) {
  DefObject o(node);
  SettingSpec s;
  s.name = o.require("name").string();
  if (s.name.empty() || s.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") !=
                            std::string::npos)
    node.fail(fmt::format("setting name \"{}\" must be lower-case letters, digits and '-'", s.name));
  if (auto env = o.get("env"))
    s.env = env->strings();
  if (auto r = o.get("required"))
    s.required = r->boolean();
  if (auto a = o.get("account"))
    s.account = a->boolean();
  if (auto d = o.get("default"))
    s.default_value = d->string();
  s.help = o.string_or("help", "");
  if (auto choices = o.get("choices")) {
    DefObject c(*choices);
    for (auto& [value, vars_node] : c.members()) {
      DefObject v(vars_node);
      auto& out = s.choices[value];
      for (auto& [var, text] : v.members())
        out[var] = text.string();
      v.done();
    }
    c.done();
    if (s.default_value && !s.choices.count(*s.default_value))
      node.fail(fmt::format("default \"{}\" is not one of the choices", *s.default_value));
  }
  o.done();
  return s;
}

TemplateScope scope_of(const std::vector<SettingSpec>& settings) {
  TemplateScope scope;
  for (const auto& s : settings) {
    scope.names.insert(s.name);
    for (const auto& [value, vars] : s.choices)
      for (const auto& [var, text] : vars)
        scope.names.insert(var);
  }
  return scope;
}

std::vector<ParamSpec> parse_params(const DefNode& node, const TemplateScope& scope) {
  std::vector<ParamSpec> params;
  DefObject o(node);
  for (auto& [name, value] : o.members())
    params.push_back({name, value.template_text(scope)});
  return params;
}

std::vector<std::string> parse_paths(const DefNode& node, const TemplateScope& scope,
                                     std::initializer_list<std::string_view> extra = {}) {
  std::vector<std::string> paths;
  if (node.value().is_string()) {
    paths.push_back(node.template_text(scope, extra));
  } else {
    for (const auto& item : node.array())
      paths.push_back(item.template_text(scope, extra));
    if (paths.empty())
      node.fail("expected at least one path");
  }
  for (const auto& path : paths)
    if (path.empty() || path.front() != '/')
      node.fail(fmt::format("path \"{}\" must start with '/'", path));
  return paths;
}

const TimeFormat* parse_time_format(const DefNode& node) {
  return find_time_format(node.one_of(time_format_names()));
}

Order parse_order_name(const DefNode& node) {
  const auto name = node.one_of({"newest_first", "oldest_first", "unspecified"});
  return name == "newest_first" ? Order::newest_first
         : name == "oldest_first" ? Order::oldest_first
                                  : Order::unspecified;
}

OrderSpec parse_order(const DefNode& node) {
  OrderSpec order;
  if (node.value().is_string()) {
    order.order = parse_order_name(node);
    return order;
  }
  DefObject o(node);
  order.order = parse_order_name(o.require("default"));
  order.param = o.require("param").string();
  for (const char* name : {"newest_first", "oldest_first"})
    if (auto v = o.get(name))
      order.values[name == std::string_view("newest_first") ? Order::newest_first : Order::oldest_first] =
          v->string();
  if (order.values.empty())
    node.fail("give the parameter's value for newest_first and/or oldest_first");
  if (auto ask = o.get("ask"))
    order.ask = ask->boolean();
  if (order.ask && !order.values.count(order.order))
    node.fail("\"ask\" needs the parameter's value for the default order");
  o.done();
  return order;
}

WindowSpec parse_window(const DefNode& node) {
  DefObject o(node);
  WindowSpec w;
  w.since_param = o.string_or("since", "");
  w.until_param = o.string_or("until", "");
  const auto format = o.get("format");
  w.format = format ? parse_time_format(*format) : find_time_format("rfc3339_ms");
  if (auto i = o.get("until_inclusive"))
    w.until_inclusive = i->boolean();
  if (auto r = o.get("required"))
    w.required = r->boolean();
  if (auto p = o.get("pair"))
    w.pair = p->boolean();
  if (auto d = o.get("default_since")) {
    w.default_since = d->string();
    w.since_by_default = true;
    try {
      parse_duration(w.default_since, "default_since");
    } catch (const Error&) {
      d->fail(fmt::format("\"{}\" is not a duration (7d, 12h, ...)", w.default_since));
    }
  }
  o.done();
  return w;
}

void parse_pagination(const DefNode& node, ListSpec& list) {
  DefObject o(node);
  list.paging = make_paging_style(o);
  if (auto stop = o.get("stop")) {
    DefObject s(*stop);
    if (auto e = s.get("empty_page"))
      list.stop.empty_page = e->boolean();
    if (auto n = s.get("next_is_current"))
      list.stop.next_is_current = n->boolean();
    if (auto m = s.get("more"))
      list.stop.more_pointer = m->pointer();
    s.done();
  }
  if (auto r = o.get("resume"))
    list.resume = r->boolean();
  o.done();
}

ListSpec parse_list(const DefNode& node, const TemplateScope& scope) {
  DefObject o(node);
  ListSpec list;
  list.paths = parse_paths(o.require("path"), scope);
  if (auto m = o.get("method"))
    list.method = m->one_of({"GET", "POST"});
  if (auto b = o.get("body"))
    list.json_body = b->one_of({"query", "json"}) == "json";
  if (auto records = o.get("records"))
    list.records_pointer = records->pointer();
  if (auto order = o.get("order"))
    list.order = parse_order(*order);
  if (auto ps = o.get("page_size")) {
    DefObject p(*ps);
    list.page_size.param = p.require("param").string();
    if (auto d = p.get("default"))
      list.page_size.default_size = d->count();
    if (auto m = p.get("max"))
      list.page_size.max = m->count();
    if (list.page_size.default_size > list.page_size.max)
      ps->fail("default is above max");
    p.done();
  } else {
    list.page_size.default_size = list.page_size.max = 0;
  }
  parse_pagination(o.require("pagination"), list);
  if (auto w = o.get("window"))
    list.window = parse_window(*w);
  else
    list.window.format = find_time_format("rfc3339_ms");
  if (auto f = o.get("filter")) {
    DefObject filter(*f);
    list.filter = make_filter_dialect(filter);
    list.dialect = DefObject(*f).require("dialect").string();
    filter.done();
  }
  if (auto params = o.get("params"))
    list.params = parse_params(*params, scope);
  o.done();
  return list;
}

GetSpec parse_get(const DefNode& node, const TemplateScope& scope) {
  DefObject o(node);
  GetSpec g;
  if (auto path = o.get("path"))
    g.paths = parse_paths(*path, scope, {"id"});
  g.unsupported_reason = o.string_or("unsupported", "");
  g.record_pointer = o.get("record") ? o.require("record").pointer() : "";
  if (auto params = o.get("params"))
    g.params = parse_params(*params, scope);
  if (g.paths.empty() == g.unsupported_reason.empty())
    node.fail("give either \"path\" or \"unsupported\" (why there is no get)");
  o.done();
  return g;
}

ValueSource value_source(const DefNode& node, const std::vector<SettingSpec>& settings) {
  if (node.value().is_string())
    return {ValueSource::Kind::pointer, node.pointer(), {}, {}, {}, {}, nullptr};
  DefObject o(node);
  ValueSource source;
  if (auto p = o.get("pointer")) {
    source = {ValueSource::Kind::pointer, p->pointer(), {}, {}, {}, {}, nullptr};
  } else if (auto s = o.get("setting")) {
    source = {ValueSource::Kind::setting, s->string(), {}, {}, {}, {}, nullptr};
    if (std::none_of(settings.begin(), settings.end(),
                     [&](const SettingSpec& setting) { return setting.name == source.text; }))
      s->fail(fmt::format("\"{}\" is not a setting of this definition", source.text));
  } else if (auto c = o.get("const")) {
    source = {ValueSource::Kind::constant, c->string(), {}, {}, {}, {}, nullptr};
  } else if (auto t = o.get("template")) {
    source = {ValueSource::Kind::text_template, t->string(), {}, {}, {}, {}, nullptr};
    for (auto open = source.text.find('{'); open != std::string::npos;
         open = source.text.find('{', open + 1)) {
      const auto close = source.text.find('}', open);
      if (close == std::string::npos ||
          (source.text[open + 1] != '/' && source.text.compare(open, 3, "{#}") != 0))
        t->fail("placeholders are JSON pointers in braces, like {/items/0/operation}, or {#} (the "
                "position in mapping.each)");
    }
  } else if (auto h = o.get("hash")) {
    source.kind = ValueSource::Kind::hash;
    for (const auto& item : h->array())
      source.pointers.push_back(item.pointer());
    if (source.pointers.empty())
      h->fail("expected at least one JSON pointer");
  } else {
    node.fail("expected a JSON pointer, {\"pointer\": P}, {\"setting\": NAME}, {\"const\": TEXT}, "
              "{\"template\": TEXT} or {\"hash\": [POINTERS]}");
  }
  if (auto p = o.get("if_present"))
    source.if_present = p->pointer();
  if (auto a = o.get("if_native_action"))
    source.if_native_action = a->one_or_more_strings();
  if (auto m = o.get("map")) {
    DefObject map(*m);
    for (auto& [pattern, value] : map.members())
      source.map.emplace_back(pattern, value.string());
    if (source.map.empty())
      m->fail("expected at least one entry");
  }
  if (auto f = o.get("time_format"))
    source.time_format = parse_time_format(*f);
  o.done();
  return source;
}

ValueExpr value_expr(const DefNode& node, const std::vector<SettingSpec>& settings) {
  ValueExpr expr;
  if (node.value().is_array()) {
    for (const auto& item : node.array())
      expr.push_back(value_source(item, settings));
  } else {
    expr.push_back(value_source(node, settings));
  }
  return expr;
}

MappingSpec parse_mapping(const DefNode& node, const std::vector<SettingSpec>& settings) {
  DefObject o(node);
  MappingSpec m;
  const std::pair<std::string_view, ValueExpr*> fields[] = {
      {"id", &m.id},
      {"created_at", &m.created_at},
      {"native_action", &m.native_action},
      {"actor_type", &m.actor_type},
      {"actor_user_id", &m.actor_user_id},
      {"organization", &m.organization},
      {"group", &m.group},
      {"description", &m.description},
      {"entity", &m.entity},
      {"entity_type", &m.entity_type},
      {"ip_address", &m.ip_address},
      {"user_agent", &m.user_agent},
      {"authentication_method", &m.authentication_method},
      {"action_key", &m.action_key},
  };
  for (const auto& [key, target] : fields)
    if (auto n = o.get(key)) {
      *target = value_expr(*n, settings);
      for (const auto& source : *target)
        if (source.time_format && key != "created_at")
          n->fail("time_format applies to created_at only");
    }
  if (m.created_at.empty())
    node.fail("missing key \"created_at\" (every activity needs a time)");
  if (auto e = o.get("each")) {
    DefObject each(*e);
    const auto as = each.require("as").string();
    if (as.empty() || as.find_first_of("/~{}") != std::string::npos)
      e->fail(fmt::format("\"as\": \"{}\" must be a plain name (its fields are \"/{}/...\")", as, as));
    m.each = EachSpec{each.require("pointer").pointer(), "/" + as};
    each.done();
  } else {
    for (const auto& [key, target] : fields)
      for (const auto& source : *target)
        if (source.kind == ValueSource::Kind::text_template && source.text.find("{#}") != std::string::npos)
          o.node().fail(fmt::format("{}: {{#}} is the position in mapping.each, and there is none", key));
  }
  if (auto r = o.get("remote_data"))
    m.remote_data = r->pointer();
  o.done();
  return m;
}

std::vector<ActionRule> parse_actions(const DefNode& node) {
  std::vector<ActionRule> rules;
  for (const auto& item : node.array()) {
    DefObject o(item);
    ActionRule rule;
    rule.pattern = o.require("native").string();
    auto unified = o.require("unified");
    if (!unified.value().is_null()) {
      rule.unified = unified.string();
      if (!is_unified_action(*rule.unified))
        unified.fail(fmt::format("\"{}\" is not a unified action", *rule.unified));
    }
    if (auto where = o.get("where")) {
      DefObject w(*where);
      for (auto& [pointer, value] : w.members()) {
        if (!pointer.empty() && pointer.front() != '/')
          value.fail(fmt::format("\"{}\" is not a JSON pointer (it must start with '/')", pointer));
        rule.where.emplace_back(pointer, value.string());
      }
      w.done();
    }
    o.done();
    rules.push_back(std::move(rule));
  }
  return rules;
}

RateLimitSignals parse_rate_limit(const DefNode& node) {
  DefObject o(node);
  RateLimitSignals r;
  r.reset_header = o.string_or("reset_header", "");
  if (auto unit = o.get("reset_unit")) {
    const auto name = unit->one_of({"epoch_seconds", "seconds", "epoch_ms"});
    r.reset_unit = name == "seconds"    ? RateLimitSignals::Unit::seconds
                   : name == "epoch_ms" ? RateLimitSignals::Unit::epoch_ms
                                        : RateLimitSignals::Unit::epoch_seconds;
  }
  r.remaining_header = o.string_or("remaining_header", "");
  r.body_contains = o.string_or("body_contains", "");
  if (auto b = o.get("budget")) {
    const auto text = b->string();
    try {
      r.budget = parse_rate(text, "budget");
    } catch (const Error&) {
      b->fail(fmt::format("\"{}\" is not a rate: write REQUESTS/PERIOD (10/s, 5/10s, 50/min)", text));
    }
  }
  if (auto b = o.get("backoff")) {
    const auto text = b->string();
    try {
      r.backoff = std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(text, "backoff"));
    } catch (const Error&) {
      b->fail(fmt::format("\"{}\" is not a duration (1s, 500ms, ...)", text));
    }
    if (r.backoff.count() <= 0)
      b->fail("the backoff must be longer than zero");
  }
  if (auto statuses = o.get("statuses"))
    for (const auto& s : statuses->array()) {
      const auto status = s.integer();
      if (status < 400 || status > 599)
        s.fail("expected an HTTP error status");
      r.statuses.push_back(static_cast<int>(status));
    }
  o.done();
  return r;
}

// The keys every start needs (ProviderSummary); cmake/embed_providers.cmake keeps the same
// keys of each built-in definition apart, so that a start reads only these.
void read_summary(DefObject& o, ProviderSummary& summary) {
  summary.name = o.require("name").string();
  if (summary.name.empty() ||
      summary.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos)
    o.node().fail(fmt::format("provider name \"{}\" must be lower-case letters, digits, '-', '_'",
                              summary.name));
  summary.description = o.require("description").string();
  if (auto settings = o.get("settings"))
    for (const auto& s : settings->array())
      summary.settings.push_back(parse_setting(s));
  if (auto groups = o.get("one_of"))
    for (const auto& group : groups->array()) {
      auto names = group.strings();
      for (const auto& name : names)
        if (!summary.setting(name))
          group.fail(fmt::format("\"{}\" is not a setting of this definition", name));
      if (names.size() < 2)
        group.fail("a group names at least two settings");
      summary.one_of.push_back(std::move(names));
    }
}

ProviderSpec parse_definition_value(const boost::json::value& doc, const std::string& origin) {
  const DefNode root(doc, "");
  DefObject o(root);
  ProviderSpec spec;
  spec.origin = origin;
  read_summary(o, spec);
  spec.documentation = o.string_or("documentation", "");
  const auto scope = scope_of(spec.settings);
  spec.base_url = o.require("base_url").template_text(scope);
  if (auto headers = o.get("headers")) {
    DefObject h(*headers);
    for (auto& [name, value] : h.members()) {
      if (name.empty() || name.find_first_of(" :\r\n") != std::string::npos)
        value.fail(fmt::format("\"{}\" is not a header name", name));
      spec.headers.emplace_back(name, value.template_text(scope));
    }
  }
  const auto auth = o.require("auth");
  if (auth.value().is_array()) {
    for (const auto& item : auth.array())
      spec.auth.push_back(make_auth_scheme(item, scope));
  } else {
    spec.auth.push_back(make_auth_scheme(auth, scope));
  }
  if (spec.auth.empty())
    auth.fail("expected at least one scheme");
  if (auto r = o.get("rate_limit"))
    spec.rate_limit = parse_rate_limit(*r);
  if (auto e = o.get("errors")) {
    DefObject errors(*e);
    for (const auto& pointer : errors.require("message").array())
      spec.errors.message.push_back(pointer.pointer());
    if (auto f = errors.get("failed_when_false"))
      spec.errors.failed_when_false = f->pointer();
    if (auto c = errors.get("code"))
      spec.errors.code = c->pointer();
    if (auto codes = errors.get("code_statuses")) {
      DefObject c(*codes);
      for (auto& [code, status] : c.members()) {
        const auto value = status.integer();
        if (value < 400 || value > 599)
          status.fail("expected an HTTP error status");
        spec.errors.code_statuses[code] = static_cast<int>(value);
      }
    }
    if (auto d = errors.get("details")) {
      DefObject details(*d);
      for (const auto& pointer : details.require("items").array())
        spec.errors.detail_items.push_back(pointer.pointer());
      for (const auto& pointer : details.require("fields").array())
        spec.errors.detail_fields.push_back(pointer.pointer());
      details.done();
    }
    errors.done();
  }
  spec.list = parse_list(o.require("list"), scope);
  spec.get = parse_get(o.require("get"), scope);
  spec.mapping = parse_mapping(o.require("mapping"), spec.settings);
  if (auto actions = o.get("actions"))
    spec.actions = parse_actions(*actions);
  if (auto ci = o.get("actions_case_insensitive"))
    spec.actions_case_insensitive = ci->boolean();
  if (auto u = o.get("actions_unified"))
    spec.actions_unified = u->boolean();
  o.done();
  return spec;
}

} // namespace

const SettingSpec* ProviderSummary::setting(const std::string& setting_name) const {
  for (const auto& s : settings)
    if (s.name == setting_name)
      return &s;
  return nullptr;
}

ProviderSpec parse_definition(std::string_view text, const std::string& origin) {
  const auto doc = parse_definition_text(text, origin);
  ProviderSpec spec;
  with_definition_lines(text, origin, [&] { spec = parse_definition_value(doc, origin); });
  return spec;
}

ProviderSummary parse_summary(std::string_view text, const std::string& origin) {
  const auto doc = parse_definition_text(text, origin);
  ProviderSummary summary;
  with_definition_lines(text, origin, [&] {
    DefObject o(DefNode(doc, ""));
    read_summary(o, summary);
  });
  return summary;
}

Registry Registry::builtin() {
  Registry registry;
  for (const auto& def : builtin_definitions()) {
    auto entry = std::make_unique<Entry>();
    entry->text = def.json;
    entry->origin = "built-in " + std::string(def.file_name);
    registry.insert(parse_summary(def.summary, entry->origin), std::move(entry));
  }
  return registry;
}

void Registry::add(ProviderSpec spec) {
  ProviderSummary summary = spec; // the summary part of it
  auto entry = std::make_unique<Entry>();
  entry->origin = spec.origin;
  entry->spec = std::make_unique<ProviderSpec>(std::move(spec));
  insert(std::move(summary), std::move(entry));
}

void Registry::insert(ProviderSummary summary, std::unique_ptr<Entry> entry) {
  const auto at = std::lower_bound(m_summaries.begin(), m_summaries.end(), summary.name,
                                   [](const ProviderSummary& s, const std::string& name) { return s.name < name; });
  const auto i = static_cast<std::size_t>(at - m_summaries.begin());
  if (at != m_summaries.end() && at->name == summary.name) {
    *at = std::move(summary);
    m_entries[i] = std::move(entry);
    return;
  }
  m_summaries.insert(at, std::move(summary));
  m_entries.insert(m_entries.begin() + static_cast<std::ptrdiff_t>(i), std::move(entry));
}

void Registry::load_directory(const std::string& directory, bool required) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) {
    if (required)
      throw Error(ErrorKind::usage, fmt::format("--providers-dir: '{}' is not a directory", directory));
    return;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory, ec))
    if (entry.path().extension() == ".json")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in)
      throw Error(ErrorKind::usage, fmt::format("{}: cannot read the definition", file.string()));
    add(parse_definition(text.str(), file.string()));
  }
}

std::size_t Registry::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < m_summaries.size(); ++i)
    if (m_summaries[i].name == name)
      return i;
  // -p PingOne: names are matched without regard to case.
  for (std::size_t i = 0; i < m_summaries.size(); ++i)
    if (iequals(m_summaries[i].name, name))
      return i;
  return std::string::npos;
}

const ProviderSummary* Registry::summary_if(std::string_view name) const {
  const auto i = index_of(name);
  return i == std::string::npos ? nullptr : &m_summaries[i];
}

const ProviderSpec* Registry::find_if(std::string_view name) const {
  const auto i = index_of(name);
  if (i == std::string::npos)
    return nullptr;
  const Entry& entry = *m_entries[i];
  std::call_once(entry.read, [&] {
    if (!entry.spec)
      entry.spec = std::make_unique<ProviderSpec>(parse_definition(entry.text, entry.origin));
  });
  return entry.spec.get();
}

const ProviderSpec& Registry::find(std::string_view name) const {
  if (const auto* spec = find_if(name))
    return *spec;
  std::vector<std::string> names;
  for (const auto& summary : m_summaries)
    names.push_back(summary.name);
  const auto suggestion = did_you_mean(name, names);
  throw Error(ErrorKind::usage, fmt::format("unknown provider '{}'{}", name, suggestion),
              suggestion.empty()
                  ? fmt::format("known providers: {} (see 'auditfetch providers')", fmt::join(names, ", "))
                  : std::string("see 'auditfetch providers'"));
}

} // namespace auditfetch
