#pragma once
// Shared by the fuzz targets: the built-in providers bound to fixed settings, and input
// splitting. Everything goes through the public API in include/auditfetch/.

#include "auditfetch/util/error.hpp"
#include "auditfetch/provider/context.hpp"
#include "auditfetch/provider/registry.hpp"
#include "auditfetch/time/time.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch::fuzz {

// A fixed "now", so that a crash reproduces.
inline Timestamp fixed_now() {
  static const Timestamp now = parse_rfc3339("2024-05-08T12:00:00.000Z");
  return now;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline EnvLookup no_environment() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

// Bind a definition: each required setting without a default gets a value (its first
// choice, else "acct-1"), the others their defaults. Returns nullopt when the definition
// cannot be bound that way (Error(usage)).
inline std::optional<ProviderContext> bind_settings(const ProviderSpec& spec,
                                                    const std::optional<std::string>& base_url = {}) {
  std::map<std::string, std::string> settings;
  for (const auto& setting : spec.settings)
    if (setting.required && !setting.default_value)
      settings[setting.name] = setting.choices.empty() ? "acct-1" : setting.choices.begin()->first;
  // A group of which exactly one is needed (GitHub's org or enterprise): the first.
  for (const auto& group : spec.one_of)
    if (!group.empty()) {
      const auto* first = spec.setting(group.front());
      settings[group.front()] = first && !first->choices.empty() ? first->choices.begin()->first : "acct-1";
    }
  try {
    return resolve_context(spec, settings, base_url, no_environment());
  } catch (const Error&) {
    return std::nullopt;
  }
}

// The built-in providers, each bound once.
struct Builtin {
  Registry registry = Registry::builtin();
  std::vector<ProviderContext> contexts;

  Builtin() {
    for (const auto& summary : registry.all()) {
      const auto& spec = registry.find(summary.name);
      auto context = bind_settings(spec);
      if (!context) {
        std::fprintf(stderr, "fuzz: cannot bind built-in provider %s\n", spec.name.c_str());
        std::abort();
      }
      contexts.push_back(std::move(*context));
    }
  }
};

inline const Builtin& builtin() {
  static const Builtin b;
  return b;
}

// Split at every `separator` byte.
inline std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos)
      return parts;
    start = end + 1;
  }
}

// An invariant broke: say which and crash so that libFuzzer keeps the input.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

} // namespace auditfetch::fuzz
