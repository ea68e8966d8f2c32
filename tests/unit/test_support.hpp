#pragma once
// Shared helpers for unit tests: the built-in registry and a PingOne context.

#include "auditfetch/json/document.hpp"
#include "auditfetch/provider/context.hpp"
#include "auditfetch/provider/registry.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace auditfetch::test {

// JSON text parsed as pages are (the test fails on invalid text); values point into it.
inline JsonDocument parsed_json(std::string_view text) {
  std::string error;
  auto document = parse_json(text, error);
  REQUIRE_MESSAGE(document, error);
  return std::move(*document);
}

inline const std::string k_env_id = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6";

inline const Registry& registry() {
  static const Registry r = Registry::builtin();
  return r;
}

inline EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

inline ProviderContext pingone_context(std::string base_url = "https://api.pingone.com/v1") {
  return resolve_context(registry().find("pingone"), {{"environment-id", k_env_id}}, base_url,
                         env_of({}));
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

} // namespace auditfetch::test
