#pragma once
// What the command line asked for, before any interpretation. Filled by src/cli/; a config
// profile (src/config/) then fills what the flags left unset.

#include "auditfetch/config/layer.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <set>
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
  bool quiet = false; // -q: no progress line, no warnings
  std::string timeout = "30s";
  int retries = 3;
  bool no_remote_data = false;
  std::optional<std::string> config_file;  // --config
  std::optional<std::string> profile_name; // --profile
  // Long names of the options given on the command line ("provider", "since", "region"):
  // a profile fills only the others.
  std::set<std::string> given;
  std::string provider_source; // "--provider", "AUDITFETCH_PROVIDER" or "profile NAME (FILE:LINE)"
  ProfileLayer profile;        // what the config profile adds beneath flags and environment
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
