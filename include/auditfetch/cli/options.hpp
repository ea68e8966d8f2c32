#pragma once
// What the command line asked for, before any interpretation. Filled only by src/cli/.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace auditfetch {

struct CommonOptions {
  std::string provider;
  std::optional<std::string> base_url;
  std::map<std::string, std::string> settings; // provider settings given as flags
  std::vector<std::string> providers_dirs;     // read ahead by definition_directories()
  std::optional<std::string> token_file;
  std::optional<std::string> token_url;
  std::optional<std::string> ca_file;
  std::optional<std::string> output;
  std::optional<std::string> fields;
  bool verbose = false;
  std::string timeout = "30s";
  int retries = 3;
  bool no_remote_data = false;
};

struct ListOptions {
  CommonOptions common;
  std::optional<std::string> since;
  std::optional<std::string> until;
  std::vector<std::string> actions;
  std::optional<std::string> actor_id;
  std::optional<std::string> entity;
  std::optional<std::string> entity_type;
  std::vector<std::string> filters;
  std::vector<std::string> params;
  std::optional<std::size_t> limit;
  std::optional<std::size_t> page_size;
  std::optional<std::string> state;  // checkpoint file
  std::string overlap = "5m";        // re-read before the checkpoint, for late events
};

struct GetOptions {
  CommonOptions common;
  std::string id;
};

struct TailOptions {
  ListOptions list;
  std::string interval = "30s";
  std::string lookback = "10m"; // where tail starts without --since or a checkpoint
};

struct ProvidersOptions {
  std::optional<std::string> name;
  bool names_only = false;
  std::vector<std::string> providers_dirs;
};

} // namespace auditfetch
