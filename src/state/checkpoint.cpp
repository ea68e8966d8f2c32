#include "auditfetch/state/checkpoint.hpp"

#include "auditfetch/util/error.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace auditfetch {
namespace json = boost::json;
namespace {

constexpr int k_version = 1;

[[noreturn]] void corrupt(const std::string& path, std::string_view why) {
  throw Error(ErrorKind::usage, fmt::format("state file '{}' is corrupt: {}", path, why),
              "it was left as it is; move it away to start again from --since");
}

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string serialise(const Checkpoint& c) {
  json::object account;
  for (const auto& [k, v] : c.account)
    account[k] = v;
  json::object seen;
  for (const auto& [id, at] : c.seen)
    seen[id] = format_rfc3339_ms(at);
  json::object doc{{"version", k_version},
                   {"provider", c.provider},
                   {"account", std::move(account)},
                   {"high_water", c.high_water ? json::value(format_rfc3339_ms(*c.high_water))
                                               : json::value(nullptr)},
                   {"floor", c.floor ? json::value(format_rfc3339_ms(*c.floor)) : json::value(nullptr)},
                   {"seen", std::move(seen)}};
  if (c.resume)
    doc["resume"] = json::object{{"method", c.resume->method},
                                 {"url", c.resume->url},
                                 {"body", c.resume->body},
                                 {"query", c.resume->query}};
  return json::serialize(doc) + "\n";
}

void write_all(int fd, const std::string& text, const std::string& path) {
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      throw Error(ErrorKind::usage, fmt::format("write state file '{}': {}", path, std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
}

} // namespace

void Checkpoint::record(const std::string& id, Timestamp at, bool advance) {
  seen[id] = at;
  if (advance)
    record_high_water(at);
}

void Checkpoint::prune(std::chrono::milliseconds overlap, std::optional<Timestamp> keep_from) {
  if (!high_water)
    return;
  auto horizon = *high_water - overlap;
  if (keep_from)
    horizon = std::min(horizon, *keep_from);
  std::erase_if(seen, [&](const auto& entry) { return entry.second < horizon; });
}

std::optional<Timestamp> Checkpoint::resume_from(std::chrono::milliseconds overlap) const {
  if (!high_water)
    return std::nullopt;
  const auto from = *high_water - overlap;
  return floor ? std::max(*floor, from) : from;
}

std::optional<Checkpoint> load_checkpoint(const std::string& path, const std::string& provider,
                                          const std::map<std::string, std::string>& account) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT)
      return std::nullopt;
    throw Error(ErrorKind::usage, fmt::format("cannot read state file '{}': {}", path, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const auto doc = json::parse(text.str(), ec);
  if (ec)
    corrupt(path, "not JSON");
  const auto* o = doc.if_object();
  if (!o)
    corrupt(path, "not a JSON object");
  const auto* version = o->if_contains("version");
  if (!version || !version->is_int64() || version->get_int64() != k_version)
    corrupt(path, "unknown version");
  Checkpoint c;
  const auto* p = o->if_contains("provider");
  const auto* a = o->if_contains("account");
  const auto* hw = o->if_contains("high_water");
  const auto* seen = o->if_contains("seen");
  if (!p || !p->is_string() || !a || !a->is_object() || !hw || !seen || !seen->is_object())
    corrupt(path, "missing or malformed fields");
  c.provider = std::string(p->get_string());
  for (const auto& [k, v] : a->get_object()) {
    if (!v.is_string())
      corrupt(path, "malformed account");
    c.account[std::string(k)] = std::string(v.get_string());
  }
  if (!hw->is_null()) {
    Timestamp t;
    if (!hw->is_string() || !try_parse_rfc3339(std::string_view(hw->get_string()), t))
      corrupt(path, "malformed high_water");
    c.high_water = t;
  }
  if (const auto* f = o->if_contains("floor"); f && !f->is_null()) {
    Timestamp t;
    if (!f->is_string() || !try_parse_rfc3339(std::string_view(f->get_string()), t))
      corrupt(path, "malformed floor");
    c.floor = t;
  }
  for (const auto& [id, at] : seen->get_object()) {
    Timestamp t;
    if (!at.is_string() || !try_parse_rfc3339(std::string_view(at.get_string()), t))
      corrupt(path, "malformed seen entry");
    c.seen[std::string(id)] = t;
  }
  if (const auto* r = o->if_contains("resume"); r && !r->is_null()) {
    const auto* ro = r->if_object();
    ResumePoint point;
    const auto text = [&](const char* key, std::string& out) {
      const auto* v = ro ? ro->if_contains(key) : nullptr;
      if (!v || !v->is_string())
        corrupt(path, "malformed resume");
      out = std::string(v->get_string());
    };
    text("method", point.method);
    text("url", point.url);
    text("body", point.body);
    text("query", point.query);
    c.resume = std::move(point);
  }
  if (c.provider != provider)
    throw Error(ErrorKind::usage,
                fmt::format("state file '{}' belongs to provider {}, not {}", path, c.provider, provider),
                "use one state file per provider and account");
  if (c.account != account) {
    std::string theirs;
    for (const auto& [k, v] : c.account)
      theirs += fmt::format("{}{}={}", theirs.empty() ? "" : ", ", k, v);
    throw Error(ErrorKind::usage,
                fmt::format("state file '{}' belongs to another {} account ({})", path, provider, theirs),
                "use one state file per provider and account");
  }
  return c;
}

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  const auto text = serialise(checkpoint);
  std::string temp = path + ".XXXXXX";
  // mkstemp creates the file 0600 and never follows an existing name.
  const int fd = ::mkstemp(temp.data());
  if (fd < 0)
    throw Error(ErrorKind::usage, fmt::format("write state file '{}': {}", path, std::strerror(errno)),
                "check that its directory exists and is writable");
  try {
    write_all(fd, text, path);
    if (::fsync(fd) != 0)
      throw Error(ErrorKind::usage, fmt::format("fsync state file '{}': {}", path, std::strerror(errno)));
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    throw Error(ErrorKind::usage, fmt::format("write state file '{}': {}", path, std::strerror(saved)));
  }
  // The rename is durable only once the directory entry is.
  if (const int dir = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

} // namespace auditfetch
