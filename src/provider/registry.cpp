#include "auditfetch/provider/registry.hpp"

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/error.hpp"
#include "auditfetch/provider/builtin.hpp"
#include "auditfetch/time/time.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <cctype>
#include <charconv>
#include <set>

namespace auditfetch {
namespace json = boost::json;
namespace {

// A problem at a JSON path; parse_definition turns it into an Error with the line.
struct DefinitionProblem {
  std::string path;
  std::string problem;
};

// Reads one JSON value of a definition, naming its path in every error.
class Node {
public:
  Node(const json::value& value, std::string path, const std::string& origin)
      : m_value(value), m_path(std::move(path)), m_origin(origin) {}

  [[noreturn]] void fail(std::string_view problem) const {
    throw DefinitionProblem{m_path, std::string(problem)};
  }

  const json::value& value() const { return m_value; }
  const std::string& path() const { return m_path; }
  const std::string& origin() const { return m_origin; }

  std::string string() const {
    if (!m_value.is_string())
      fail("expected a string");
    return std::string(m_value.get_string());
  }

  bool boolean() const {
    if (!m_value.is_bool())
      fail("expected true or false");
    return m_value.get_bool();
  }

  std::size_t count() const {
    if (const auto* n = m_value.if_int64(); n && *n > 0)
      return static_cast<std::size_t>(*n);
    if (const auto* n = m_value.if_uint64(); n && *n > 0)
      return static_cast<std::size_t>(*n);
    fail("expected a positive integer");
  }

  std::vector<Node> array() const {
    if (!m_value.is_array())
      fail("expected an array");
    std::vector<Node> items;
    const auto& a = m_value.get_array();
    for (std::size_t i = 0; i < a.size(); ++i)
      items.emplace_back(a[i], fmt::format("{}[{}]", m_path, i), m_origin);
    return items;
  }

  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    for (const auto& item : array())
      out.push_back(item.string());
    return out;
  }

  // A string or an array of strings.
  std::vector<std::string> one_or_more_strings() const {
    if (m_value.is_string())
      return {string()};
    return strings();
  }

private:
  const json::value& m_value;
  std::string m_path;
  const std::string& m_origin;
};

// Reads an object's keys; done() rejects keys nobody asked for (typos must not pass silently).
class Object {
public:
  explicit Object(const Node& node) : m_node(node) {
    if (!node.value().is_object())
      node.fail("expected an object");
  }

  std::optional<Node> get(std::string_view key) {
    m_used.insert(std::string(key));
    const auto* v = m_node.value().get_object().if_contains(key);
    if (!v)
      return std::nullopt;
    return Node(*v, child_path(key), m_node.origin());
  }

  Node require(std::string_view key) {
    auto node = get(key);
    if (!node)
      m_node.fail(fmt::format("missing key \"{}\"", key));
    return *node;
  }

  std::string string_or(std::string_view key, std::string fallback) {
    auto node = get(key);
    return node ? node->string() : std::move(fallback);
  }

  const json::object& raw() const { return m_node.value().get_object(); }
  std::string child_path(std::string_view key) const {
    return m_node.path().empty() ? std::string(key) : fmt::format("{}.{}", m_node.path(), key);
  }
  const Node& node() const { return m_node; }

  void done() const {
    for (const auto& [key, value] : raw())
      if (!m_used.count(std::string(key)))
        throw DefinitionProblem{child_path(key), fmt::format("unknown key \"{}\"", std::string_view(key))};
  }

private:
  const Node& m_node;
  std::set<std::string> m_used;
};

template <class Enum, std::size_t N>
Enum parse_enum(const Node& node, const std::pair<std::string_view, Enum> (&table)[N]) {
  const auto text = node.string();
  for (const auto& [name, value] : table)
    if (name == text)
      return value;
  std::string names;
  for (const auto& [name, value] : table)
    names += names.empty() ? std::string(name) : ", " + std::string(name);
  node.fail(fmt::format("unknown value \"{}\" (expected one of: {})", text, names));
}

void check_pointer(const Node& node, const std::string& pointer) {
  if (!pointer.empty() && pointer.front() != '/')
    node.fail(fmt::format("\"{}\" is not a JSON pointer (it must start with '/')", pointer));
}

ValueSource value_source(const Node& node) {
  if (node.value().is_string()) {
    auto text = node.string();
    check_pointer(node, text);
    return {ValueSource::Kind::pointer, std::move(text), {}, {}};
  }
  Object o(node);
  ValueSource source;
  if (auto s = o.get("setting"))
    source = {ValueSource::Kind::setting, s->string(), {}, {}};
  else if (auto c = o.get("const"))
    source = {ValueSource::Kind::constant, c->string(), {}, {}};
  else if (auto t = o.get("template")) {
    source = {ValueSource::Kind::text_template, t->string(), {}, {}};
    for (auto open = source.text.find('{'); open != std::string::npos;
         open = source.text.find('{', open + 1)) {
      const auto close = source.text.find('}', open);
      if (close == std::string::npos || source.text[open + 1] != '/')
        t->fail("placeholders are JSON pointers in braces, like {/items/0/operation}");
    }
  } else if (auto h = o.get("hash")) {
    source.kind = ValueSource::Kind::hash;
    source.pointers = h->strings();
    for (const auto& pointer : source.pointers)
      check_pointer(*h, pointer);
    if (source.pointers.empty())
      h->fail("expected at least one JSON pointer");
  } else
    node.fail("expected a JSON pointer, {\"setting\": NAME}, {\"const\": TEXT}, {\"template\": TEXT} or {\"hash\": [POINTERS]}");
  if (auto p = o.get("if_present")) {
    source.if_present = p->string();
    check_pointer(*p, *source.if_present);
  }
  o.done();
  return source;
}

ValueExpr value_expr(const Node& node) {
  if (node.value().is_array()) {
    ValueExpr expr;
    for (const auto& item : node.array())
      expr.push_back(value_source(item));
    return expr;
  }
  return {value_source(node)};
}

SettingSpec parse_setting(const Node& node) {
  Object o(node);
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
    Object c(*choices);
    for (const auto& [value, vars] : c.raw()) {
      auto vars_node = c.require(value);
      Object v(vars_node);
      auto& out = s.choices[std::string(value)];
      for (const auto& [var, text] : v.raw())
        out[std::string(var)] = v.require(var).string();
      v.done();
    }
    c.done();
    if (s.default_value && !s.choices.count(*s.default_value))
      node.fail(fmt::format("default \"{}\" is not one of the choices", *s.default_value));
  }
  o.done();
  return s;
}

AuthSpec parse_auth(const Node& node) {
  Object o(node);
  AuthSpec auth;
  if (auto b = o.get("bearer_env"))
    auth.bearer_env = b->strings();
  if (auto cc_node = o.get("client_credentials")) {
    Object cc(*cc_node);
    ClientCredentialsSpec spec;
    spec.token_url = cc.require("token_url").string();
    if (auto e = cc.get("client_id_env"))
      spec.client_id_env = e->strings();
    if (auto e = cc.get("client_secret_env"))
      spec.client_secret_env = e->strings();
    if (auto a = cc.get("client_auth")) {
      static const std::pair<std::string_view, ClientAuth> k_table[] = {
          {"basic", ClientAuth::basic}, {"post", ClientAuth::post}};
      spec.client_auth = parse_enum(*a, k_table);
    }
    cc.done();
    auth.client_credentials = std::move(spec);
  }
  o.done();
  return auth;
}

FilterSpec parse_filter(const Node& node) {
  Object o(node);
  FilterSpec f;
  static const std::pair<std::string_view, FilterDialect> k_dialects[] = {
      {"scim", FilterDialect::scim},
      {"sailpoint", FilterDialect::sailpoint},
      {"query_params", FilterDialect::query_params},
      {"none", FilterDialect::none}};
  f.dialect = parse_enum(o.require("dialect"), k_dialects);
  const bool expression = f.dialect == FilterDialect::scim || f.dialect == FilterDialect::sailpoint;
  if (expression) {
    f.param = o.require("param").string();
    f.time_field = o.string_or("time_field", "");
  }
  if (auto p = o.get("time_precision")) {
    static const std::pair<std::string_view, TimePrecision> k_precisions[] = {
        {"milliseconds", TimePrecision::milliseconds}, {"seconds", TimePrecision::seconds}};
    f.time_precision = parse_enum(*p, k_precisions);
  }
  if (auto r = o.get("time_range_required"))
    f.time_range_required = r->boolean();
  if (auto d = o.get("default_since")) {
    f.default_since = d->string();
    try {
      parse_duration(*f.default_since, "default_since");
    } catch (const Error& e) {
      d->fail(e.what());
    }
  }
  if (auto fields = o.get("fields")) {
    Object fo(*fields);
    static const std::set<std::string_view> k_known = {"since",  "until",  "action",
                                                       "actor_id", "entity", "entity_type"};
    for (const auto& [name, value] : fo.raw()) {
      if (!k_known.count(std::string_view(name)))
        fo.require(name).fail(
            "not a unified filter (since, until, action, actor_id, entity, entity_type)");
      if (expression && (name == "since" || name == "until"))
        fo.require(name).fail("expression dialects take the time attribute from time_field");
      f.fields[std::string(name)] = fo.require(name).string();
    }
    fo.done();
  }
  o.done();
  return f;
}

std::vector<ParamSpec> parse_params(const Node& node) {
  std::vector<ParamSpec> params;
  Object o(node);
  for (const auto& [name, value] : o.raw())
    params.push_back({std::string(name), o.require(name).string()});
  o.done();
  return params;
}

ListSpec parse_list(const Node& node) {
  Object o(node);
  ListSpec l;
  l.path = o.require("path").string();
  // The filter first: offset paging depends on its time field.
  if (auto f = o.get("filter"))
    l.filter = parse_filter(*f);
  if (auto r = o.get("records")) {
    l.records_pointer = r->string();
    check_pointer(*r, l.records_pointer);
  }
  if (auto order = o.get("order")) {
    static const std::pair<std::string_view, Order> k_orders[] = {
        {"newest_first", Order::newest_first},
        {"oldest_first", Order::oldest_first},
        {"unspecified", Order::unspecified}};
    l.order = parse_enum(*order, k_orders);
  }
  if (auto ps_found = o.get("page_size")) {
    const auto& ps_node = *ps_found;
    Object ps(ps_node);
    l.page_size.param = ps.require("param").string();
    l.page_size.default_size = ps.require("default").count();
    l.page_size.max = ps.require("max").count();
    if (l.page_size.default_size > l.page_size.max)
      ps_node.fail("default is larger than max");
    ps.done();
  }
  {
    auto p_node = o.require("pagination");
    Object p(p_node);
    static const std::pair<std::string_view, PaginationStyle> k_styles[] = {
        {"hal_next", PaginationStyle::hal_next},
        {"cursor", PaginationStyle::cursor},
        {"offset", PaginationStyle::offset}};
    auto& pg = l.pagination;
    pg.style = parse_enum(p.require("style"), k_styles);
    switch (pg.style) {
    case PaginationStyle::hal_next: {
      auto next = p.require("next");
      pg.next_pointer = next.string();
      check_pointer(next, pg.next_pointer);
      break;
    }
    case PaginationStyle::cursor: {
      auto cursor = p.require("cursor");
      pg.cursor_pointer = cursor.string();
      check_pointer(cursor, pg.cursor_pointer);
      pg.cursor_param = p.require("param").string();
      break;
    }
    case PaginationStyle::offset:
      pg.offset_param = p.require("param").string();
      if (auto m = p.get("max_offset"))
        pg.max_offset = m->count();
      if (l.filter.time_field.empty())
        p_node.fail("offset paging needs a filter with a time_field, to continue by keyset");
      break;
    }
    p.done();
  }
  if (auto params = o.get("params"))
    l.params = parse_params(*params);
  o.done();
  return l;
}

GetSpec parse_get(const Node& node) {
  Object o(node);
  GetSpec g;
  if (auto p = o.get("path")) {
    g.path = p->string();
    if (g.path->find("{id}") == std::string::npos)
      p->fail("the path must contain {id}");
  }
  if (auto r = o.get("record")) {
    g.record_pointer = r->string();
    check_pointer(*r, g.record_pointer);
  }
  g.unsupported_reason = o.string_or("unsupported", "");
  if (auto params = o.get("params"))
    g.params = parse_params(*params);
  if (!g.path && g.unsupported_reason.empty())
    node.fail("give either \"path\" or \"unsupported\" (why there is no get)");
  o.done();
  return g;
}

MappingSpec parse_mapping(const Node& node) {
  Object o(node);
  MappingSpec m;
  const std::pair<std::string_view, ValueExpr*> fields[] = {
      {"id", &m.id},
      {"created_at", &m.created_at},
      {"native_action", &m.native_action},
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
    if (auto n = o.get(key))
      *target = value_expr(*n);
  if (m.created_at.empty())
    node.fail("missing key \"created_at\" (every activity needs a time)");
  if (auto r = o.get("remote_data")) {
    m.remote_data = r->string();
    check_pointer(*r, *m.remote_data);
  }
  if (auto rules = o.get("actor_type")) {
    for (const auto& rule_node : rules->array()) {
      Object r(rule_node);
      ActorTypeRule rule;
      if (auto p = r.get("present")) {
        rule.present = p->string();
        check_pointer(*p, *rule.present);
      }
      if (auto a = r.get("native_action"))
        rule.native_action_patterns = a->one_or_more_strings();
      static const std::pair<std::string_view, std::string_view> k_types[] = {
          {"user", "user"}, {"system", "system"}, {"anonymous", "anonymous"}};
      if (auto p = r.get("pointer")) {
        rule.pointer = p->string();
        check_pointer(*p, *rule.pointer);
      } else {
        rule.type = std::string(parse_enum(r.require("type"), k_types));
      }
      r.done();
      m.actor_type.push_back(std::move(rule));
    }
  }
  o.done();
  return m;
}

std::vector<ActionRule> parse_actions(const Node& node) {
  std::vector<ActionRule> rules;
  for (const auto& item : node.array()) {
    Object o(item);
    ActionRule rule;
    rule.pattern = o.require("native").string();
    auto unified = o.require("unified");
    if (!unified.value().is_null()) {
      rule.unified = unified.string();
      if (!is_unified_action(*rule.unified))
        unified.fail(fmt::format("\"{}\" is not a unified action", *rule.unified));
    }
    if (auto where = o.get("where")) {
      Object w(*where);
      for (const auto& [pointer, value] : w.raw()) {
        auto value_node = w.require(pointer);
        check_pointer(value_node, std::string(pointer));
        rule.where.emplace_back(std::string(pointer), value_node.string());
      }
      w.done();
    }
    o.done();
    rules.push_back(std::move(rule));
  }
  return rules;
}

std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// A small scanner over valid JSON text, to find where a path's value starts: Boost.JSON
// keeps no positions, and a definition's author wants a line number.
class Locator {
public:
  explicit Locator(std::string_view text) : m_text(text) {}

  // Return the offset of the value at `path` ("list.pagination.style", "actions[2].unified"),
  // or of the deepest part found.
  std::size_t find(std::string_view path) {
    std::size_t pos = skip_space(0);
    std::size_t best = pos;
    while (!path.empty()) {
      if (path.front() == '.')
        path.remove_prefix(1);
      if (!path.empty() && path.front() == '[') {
        // A key of the definition may itself hold '[' ("[x" in an unknown-key error).
        const auto close = path.find(']');
        if (close == std::string_view::npos)
          return best;
        std::size_t index = 0;
        const auto digits = path.substr(1, close - 1);
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
        if (ec != std::errc{} || end != digits.data() + digits.size())
          return best;
        path.remove_prefix(close + 1);
        if (!element(pos, index))
          return best;
      } else {
        const auto end = path.find_first_of(".[");
        const auto key = path.substr(0, end);
        path.remove_prefix(end == std::string_view::npos ? path.size() : end);
        if (!member(pos, key))
          return best;
      }
      best = pos;
    }
    return best;
  }

private:
  std::size_t skip_space(std::size_t pos) const {
    while (pos < m_text.size() && std::isspace(static_cast<unsigned char>(m_text[pos])))
      ++pos;
    return pos;
  }

  std::size_t skip_string(std::size_t pos) const {
    for (++pos; pos < m_text.size() && m_text[pos] != '"'; ++pos)
      if (m_text[pos] == '\\')
        ++pos;
    return pos + 1;
  }

  std::size_t skip_value(std::size_t pos) const {
    if (pos >= m_text.size())
      return pos;
    if (m_text[pos] == '"')
      return skip_string(pos);
    if (m_text[pos] == '{' || m_text[pos] == '[') {
      int depth = 0;
      for (; pos < m_text.size(); ++pos) {
        const char c = m_text[pos];
        if (c == '"') {
          pos = skip_string(pos) - 1;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          return pos + 1;
        }
      }
      return pos;
    }
    while (pos < m_text.size() && m_text[pos] != ',' && m_text[pos] != '}' && m_text[pos] != ']')
      ++pos;
    return pos;
  }

  // Move pos from an object to the value of its member `key`.
  bool member(std::size_t& pos, std::string_view key) const {
    if (pos >= m_text.size() || m_text[pos] != '{')
      return false;
    std::size_t p = skip_space(pos + 1);
    while (p < m_text.size() && m_text[p] == '"') {
      const auto end = skip_string(p);
      const auto name = m_text.substr(p + 1, end - p - 2);
      p = skip_space(end);
      if (p >= m_text.size() || m_text[p] != ':')
        return false;
      p = skip_space(p + 1);
      if (name == key) {
        pos = p;
        return true;
      }
      p = skip_space(skip_value(p));
      if (p < m_text.size() && m_text[p] == ',')
        p = skip_space(p + 1);
    }
    return false;
  }

  // Move pos from an array to its element `index`.
  bool element(std::size_t& pos, std::size_t index) const {
    if (pos >= m_text.size() || m_text[pos] != '[')
      return false;
    std::size_t p = skip_space(pos + 1);
    for (std::size_t i = 0; i < index; ++i) {
      p = skip_space(skip_value(p));
      if (p >= m_text.size() || m_text[p] != ',')
        return false;
      p = skip_space(p + 1);
    }
    pos = p;
    return true;
  }

  std::string_view m_text;
};

std::size_t locate(std::string_view text, std::string_view path) {
  return Locator(text).find(path);
}

ProviderSpec parse_definition_json(std::string_view text, const std::string& origin);

json::value parse_json_with_position(std::string_view text, const std::string& origin) {
  json::stream_parser parser;
  boost::system::error_code ec;
  const auto consumed = parser.write(text.data(), text.size(), ec);
  if (!ec)
    parser.finish(ec);
  if (ec) {
    const auto [line, column] = line_and_column(text, consumed);
    throw Error(ErrorKind::usage,
                fmt::format("{}:{}:{}: invalid JSON: {}", origin, line, column, ec.message()));
  }
  return parser.release();
}

} // namespace

const SettingSpec* ProviderSpec::setting(const std::string& setting_name) const {
  for (const auto& s : settings)
    if (s.name == setting_name)
      return &s;
  return nullptr;
}

ProviderSpec parse_definition(std::string_view text, const std::string& origin) {
  try {
    return parse_definition_json(text, origin);
  } catch (const DefinitionProblem& p) {
    const auto [line, column] = line_and_column(text, locate(text, p.path));
    throw Error(ErrorKind::usage,
                fmt::format("{}:{}: {}{}{}", origin, line, p.path, p.path.empty() ? "" : ": ", p.problem),
                "see the README's 'Provider definitions'");
  }
}

namespace {

ProviderSpec parse_definition_json(std::string_view text, const std::string& origin) {
  const auto doc = parse_json_with_position(text, origin);
  const Node root(doc, "", origin);
  Object o(root);
  ProviderSpec spec;
  spec.origin = origin;
  spec.name = o.require("name").string();
  if (spec.name.empty() ||
      spec.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos)
    root.fail(fmt::format("provider name \"{}\" must be lower-case letters, digits, '-', '_'",
                          spec.name));
  spec.description = o.require("description").string();
  spec.documentation = o.string_or("documentation", "");
  spec.base_url = o.require("base_url").string();
  if (auto settings = o.get("settings"))
    for (const auto& s : settings->array())
      spec.settings.push_back(parse_setting(s));
  spec.auth = parse_auth(o.require("auth"));
  spec.list = parse_list(o.require("list"));
  spec.get = parse_get(o.require("get"));
  spec.mapping = parse_mapping(o.require("mapping"));
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

Registry Registry::builtin() {
  Registry registry;
  for (const auto& def : builtin_definitions())
    registry.add(parse_definition(def.json, "built-in " + std::string(def.file_name)));
  return registry;
}

void Registry::add(ProviderSpec spec) {
  auto it = std::find_if(m_specs.begin(), m_specs.end(),
                         [&](const ProviderSpec& s) { return s.name == spec.name; });
  if (it != m_specs.end()) {
    *it = std::move(spec);
    return;
  }
  m_specs.push_back(std::move(spec));
  std::sort(m_specs.begin(), m_specs.end(),
            [](const ProviderSpec& a, const ProviderSpec& b) { return a.name < b.name; });
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

const ProviderSpec* Registry::find_if(std::string_view name) const {
  for (const auto& spec : m_specs)
    if (spec.name == name)
      return &spec;
  return nullptr;
}

const ProviderSpec& Registry::find(std::string_view name) const {
  if (const auto* spec = find_if(name))
    return *spec;
  std::string names;
  for (const auto& spec : m_specs)
    names += names.empty() ? spec.name : ", " + spec.name;
  throw Error(ErrorKind::usage, fmt::format("unknown provider '{}'", name),
              fmt::format("known providers: {} (see 'auditfetch providers')", names));
}

} // namespace auditfetch
