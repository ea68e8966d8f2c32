#include "auditfetch/pipeline/verify.hpp"

#include "auditfetch/json/document.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/interrupt.hpp"
#include "auditfetch/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace auditfetch {

// ---------------------------------------------------------------------------- IdTally

struct IdTally::Entry {
  std::uint64_t a;
  std::uint64_t b;
  std::uint32_t file;        // lines of the files with this id
  std::uint32_t served : 31; // times the listing served it
  std::uint32_t in_scope : 1;
};

namespace {

constexpr std::uint32_t k_chunk_bits = 16; // 65,536 entries (1.5 MiB) a chunk
constexpr std::uint32_t k_chunk = 1u << k_chunk_bits;
constexpr std::size_t k_first_index = 1u << 12;

std::uint64_t load64(const unsigned char* bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i)
    value = value << 8 | bytes[i];
  return value;
}

} // namespace

IdTally::IdTally() : m_index(k_first_index, 0) {}
IdTally::~IdTally() = default;

IdTally::Entry& IdTally::entry(std::uint32_t index) {
  return m_chunks[index >> k_chunk_bits][index & (k_chunk - 1)];
}

const IdTally::Entry& IdTally::entry(std::uint32_t index) const {
  return m_chunks[index >> k_chunk_bits][index & (k_chunk - 1)];
}

void IdTally::grow_index() {
  std::vector<std::uint32_t> bigger(m_index.size() * 2, 0);
  const auto mask = bigger.size() - 1;
  for (std::uint32_t i = 0; i < m_count; ++i) {
    auto slot = entry(i).a & mask;
    while (bigger[slot] != 0)
      slot = (slot + 1) & mask;
    bigger[slot] = i + 1;
  }
  m_index = std::move(bigger);
}

IdTally::Entry& IdTally::find_or_add(std::string_view id) {
  const auto digest = sha256_digest(id);
  const auto a = load64(digest.data());
  const auto b = load64(digest.data() + 8);
  for (;;) {
    const auto mask = m_index.size() - 1;
    auto slot = a & mask;
    while (m_index[slot] != 0) {
      auto& found = entry(m_index[slot] - 1);
      if (found.a == a && found.b == b)
        return found;
      slot = (slot + 1) & mask;
    }
    // At most half full, so that probes stay short.
    if ((std::size_t{m_count} + 1) * 2 > m_index.size()) {
      grow_index();
      continue;
    }
    if (m_count == UINT32_MAX - 1)
      throw Error(ErrorKind::usage, "verify: more than 4 billion distinct activity ids");
    if ((m_count >> k_chunk_bits) == m_chunks.size())
      m_chunks.push_back(std::make_unique<Entry[]>(k_chunk));
    auto& added = entry(m_count);
    added.a = a;
    added.b = b;
    m_index[slot] = ++m_count;
    return added;
  }
}

void IdTally::add_file(std::string_view id, bool in_scope) {
  auto& e = find_or_add(id);
  if (e.file < UINT32_MAX)
    ++e.file;
  if (in_scope)
    e.in_scope = 1;
}

bool IdTally::add_served(std::string_view id) {
  auto& e = find_or_add(id);
  if (e.served < (1u << 31) - 1)
    ++e.served;
  return e.served > e.file;
}

IdTally::Totals IdTally::totals() const {
  Totals t;
  for (std::uint32_t i = 0; i < m_count; ++i) {
    const auto& e = entry(i);
    const std::uint64_t file = e.file, served = e.served;
    t.served += served;
    t.in_files += file;
    if (served > 0) {
      t.missing += served > file ? served - file : 0;
      t.duplicated += file > served ? file - served : 0;
    } else if (e.in_scope) {
      t.unknown += file;
    } else {
      t.outside += file;
    }
  }
  return t;
}

std::size_t IdTally::distinct_ids() const {
  return m_count;
}

// ---------------------------------------------------------------------------- lines

LineScope line_scope(const ProviderContext& context, const Query& query) {
  const auto& spec = *context.spec;
  LineScope scope;
  scope.provider = spec.name;
  // An organization mapped, unconditionally, from an account setting is the account's mark on
  // every activity it printed.
  if (!spec.mapping.organization.empty()) {
    const auto& first = spec.mapping.organization.front();
    const auto* setting = first.kind == ValueSource::Kind::setting ? spec.setting(first.text) : nullptr;
    if (setting && setting->account && !first.if_present && first.if_native_action.empty() &&
        first.map.empty())
      if (auto it = context.vars.find(first.text); it != context.vars.end())
        scope.organization = it->second;
  }
  scope.since = query.since.value_or(Timestamp{});
  scope.until = query.until.value_or(Timestamp::max());
  scope.filter = LocalFilter::of(query);
  return scope;
}

FileLine classify_line(std::string_view line, const LineScope& scope) {
  FileLine out;
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.remove_suffix(1);
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
    line.remove_prefix(1);
  if (line.empty())
    return out;
  out.kind = FileLine::Kind::not_activity;
  std::string error;
  const auto document = parse_json(line, error);
  if (!document || !document->root.is_object())
    return out;
  const auto root = document->root;
  const auto text = [&](std::string_view pointer) -> std::optional<std::string_view> {
    const auto value = find_pointer(root, pointer);
    if (!value || !value->is_string())
      return std::nullopt;
    return value->get_string().value_unsafe();
  };
  const auto id = text("/id");
  const auto provider = text("/provider");
  const auto created = text("/created_at");
  Timestamp at;
  if (!id || id->empty() || !provider || !created || !try_parse_rfc3339(*created, at))
    return out;
  out.kind = FileLine::Kind::other_account;
  if (*provider != scope.provider)
    return out;
  if (scope.source && text("/source") != std::optional<std::string_view>(*scope.source))
    return out;
  // A line without the key (printed with --fields) cannot say; one with another value can.
  if (scope.organization)
    if (const auto organization = find_pointer(root, "/organization");
        organization && (!organization->is_string() || organization->get_string().value_unsafe() != *scope.organization))
      return out;
  out.kind = FileLine::Kind::activity;
  out.id = std::string(*id);

  // In the window and the filters, as far as the line shows them: a key the line does not have
  // (--fields), or a native --action value, is not held against it.
  const auto& filter = scope.filter;
  const auto shows = [&](const std::optional<std::string>& wanted, std::string_view pointer) {
    if (!wanted)
      return true;
    const auto value = find_pointer(root, pointer);
    if (!value)
      return true;
    return value->is_string() && value->get_string().value_unsafe() == *wanted;
  };
  bool in_scope = at >= scope.since && at < scope.until && shows(filter.actor_id, "/actor/user/id") &&
                  shows(filter.entity, "/entity") && shows(filter.entity_type, "/entity_type");
  const auto& actions = filter.actions;
  if (in_scope && !actions.empty() && std::all_of(actions.begin(), actions.end(), is_unified_action))
    if (const auto action = find_pointer(root, "/action"))
      in_scope = action->is_string() &&
                 std::find(actions.begin(), actions.end(), action->get_string().value_unsafe()) != actions.end();
  out.in_scope = in_scope;
  return out;
}

namespace {

void count_line(std::string_view line, const LineScope& scope, IdTally& tally, FileCounts& counts) {
  const auto classified = classify_line(line, scope);
  switch (classified.kind) {
  case FileLine::Kind::blank:
    return;
  case FileLine::Kind::not_activity:
    ++counts.not_activities;
    break;
  case FileLine::Kind::other_account:
    ++counts.other_account;
    break;
  case FileLine::Kind::activity:
    tally.add_file(classified.id, classified.in_scope);
    break;
  }
  ++counts.lines;
}

void read_lines(int fd, const std::string& name, const LineScope& scope, IdTally& tally, FileCounts& counts) {
  std::string pending; // a line not yet ended
  std::vector<char> block(1u << 20);
  for (;;) {
    if (interrupted())
      throw Error(ErrorKind::interrupted, fmt::format("interrupted while reading {}", name));
    const auto n = ::read(fd, block.data(), block.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throw Error(ErrorKind::usage, fmt::format("cannot read {}: {}", name, std::strerror(errno)));
    }
    if (n == 0)
      break;
    std::string_view data(block.data(), static_cast<std::size_t>(n));
    for (auto newline = data.find('\n'); newline != std::string_view::npos; newline = data.find('\n')) {
      if (pending.empty()) {
        count_line(data.substr(0, newline), scope, tally, counts);
      } else {
        pending.append(data.substr(0, newline));
        count_line(pending, scope, tally, counts);
        pending.clear();
      }
      data.remove_prefix(newline + 1);
    }
    pending.append(data);
  }
  count_line(pending, scope, tally, counts); // a last line without its newline
}

} // namespace

FileCounts read_activity_files(const std::vector<std::string>& paths, int stdin_fd,
                               const LineScope& scope, IdTally& tally) {
  FileCounts counts;
  if (paths.empty()) {
    read_lines(stdin_fd, "standard input", scope, tally, counts);
    return counts;
  }
  for (const auto& path : paths) {
    if (path == "-") {
      read_lines(stdin_fd, "standard input", scope, tally, counts);
      continue;
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw Error(ErrorKind::usage, fmt::format("cannot open '{}': {}", path, std::strerror(errno)),
                  "name the NDJSON files auditfetch printed, or pipe them in");
    try {
      read_lines(fd, fmt::format("'{}'", path), scope, tally, counts);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  }
  return counts;
}

} // namespace auditfetch
