#include "reverse.hpp"

#include "auditfetch/util/error.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <cstring>

namespace auditfetch {
namespace {

constexpr std::size_t k_default_memory_items = 10'000;
constexpr std::size_t k_memory_bytes = 16 * 1024 * 1024;

// Each field: a presence byte, then (when present) a 4-byte little-endian length and the bytes.
void put(std::string& out, const std::optional<std::string>& value) {
  out += value ? '\1' : '\0';
  if (!value)
    return;
  const auto n = static_cast<std::uint32_t>(value->size());
  for (int i = 0; i < 4; ++i)
    out += static_cast<char>((n >> (8 * i)) & 0xff);
  out += *value;
}

struct Reader {
  std::string_view bytes;
  std::size_t pos = 0;

  std::optional<std::string> get() {
    if (pos >= bytes.size())
      throw std::logic_error("reversed activity: truncated");
    if (bytes[pos++] == '\0')
      return std::nullopt;
    if (pos + 4 > bytes.size())
      throw std::logic_error("reversed activity: truncated");
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i)
      n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[pos + i])) << (8 * i);
    pos += 4;
    if (pos + n > bytes.size())
      throw std::logic_error("reversed activity: truncated");
    std::string value(bytes.substr(pos, n));
    pos += n;
    return value;
  }
};

} // namespace

std::string encode_activity(const Activity& a) {
  std::string out;
  for (const auto* field : {&a.id, &a.actor_type, &a.actor_user_id, &a.organization, &a.group, &a.description,
                            &a.action, &a.entity, &a.entity_type, &a.ip_address, &a.user_agent,
                            &a.authentication_method, &a.native_action})
    put(out, *field);
  put(out, a.created_at ? std::optional<std::string>(std::to_string(a.created_at->time_since_epoch().count()))
                        : std::nullopt);
  put(out, a.remote_data ? std::optional<std::string>(compact_json(*a.remote_data)) : std::nullopt);
  put(out, a.provider);
  return out;
}

Activity decode_activity(std::string_view bytes, std::optional<JsonDocument>& document) {
  Reader in{bytes};
  Activity a;
  for (auto* field : {&a.id, &a.actor_type, &a.actor_user_id, &a.organization, &a.group, &a.description,
                      &a.action, &a.entity, &a.entity_type, &a.ip_address, &a.user_agent,
                      &a.authentication_method, &a.native_action})
    *field = in.get();
  if (const auto ms = in.get()) {
    long long count = 0;
    std::from_chars(ms->data(), ms->data() + ms->size(), count);
    a.created_at = Timestamp{std::chrono::milliseconds{count}};
  }
  document.reset();
  if (const auto json = in.get()) {
    std::string error;
    document = parse_json(*json, error);
    if (!document)
      throw std::logic_error("reversed activity: remote_data does not parse again: " + error);
    a.remote_data = document->root;
  }
  a.provider = in.get().value_or("");
  return a;
}

std::size_t order_memory_items(const EnvLookup& env) {
  const auto text = env("AUDITFETCH_ORDER_MEMORY");
  if (!text)
    return k_default_memory_items;
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc{} || end != text->data() + text->size())
    throw Error(ErrorKind::usage, fmt::format("AUDITFETCH_ORDER_MEMORY: '{}' is not a number", *text),
                "set it to the number of activities --order may hold in memory, e.g. 10000");
  return n;
}

std::string order_spill_directory(const EnvLookup& env) {
  return env("TMPDIR").value_or("/tmp");
}

ReversedActivities::ReversedActivities(const EnvLookup& env, Diagnostics& diagnostics, std::string provider)
    : m_diagnostics(diagnostics), m_provider(std::move(provider)), m_memory_items(order_memory_items(env)),
      m_stack(m_memory_items, k_memory_bytes, order_spill_directory(env)) {}

void ReversedActivities::add(const Activity& activity) {
  const bool was_spilled = m_stack.spilled();
  m_encoded = encode_activity(activity);
  m_stack.push(m_encoded);
  if (!was_spilled && m_stack.spilled())
    m_diagnostics.verbose(fmt::format("{}: --order: more than {} activities to reverse; keeping them in a "
                                      "temporary file",
                                      m_provider, m_stack.size() - 1));
}

std::size_t ReversedActivities::drain(std::optional<std::size_t> limit,
                                      const std::function<void(const Activity&)>& write) {
  std::size_t written = 0;
  std::optional<JsonDocument> document;
  while ((!limit || written < *limit) && m_stack.pop(m_encoded)) {
    write(decode_activity(m_encoded, document));
    ++written;
  }
  return written;
}

} // namespace auditfetch
