#pragma once
// What the command line asked for, before any interpretation: the options every command
// shares. Filled by src/cli/; a config profile then fills what the flags left unset
// (commands/profile.hpp). Each command's own options are in its header (list.hpp, ...).

#include "auditfetch/query/query.hpp"
#include "auditfetch/util/profile_layer.hpp"

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
  std::optional<std::string> color; // --color auto|always|never; unset: auto
  bool wide = false;                // --wide: the table shortens nothing
  bool no_headers = false;          // --no-headers: table and CSV without their header line
  std::optional<std::string> tz; // --tz: zone of zone-less --since/--until and of the table
  bool verbose = false;
  bool quiet = false; // -q: no progress line, no warnings
  std::string timeout = "30s";
  int retries = 3;
  std::optional<std::string> rate; // --rate 10/s: the account's request budget, by hand
  bool no_remote_data = false;
  bool explain = false; // --explain: print the plan, send nothing
  bool source_key = false; // a source of a merged run: the output has the `source` key
  std::optional<std::string> config_file;  // --config
  std::optional<std::string> profile_name; // --profile (the last one given)
  std::vector<std::string> profile_names;  // every --profile given: list reads each as a source
  bool no_profile = false;                  // --no-profile: not even default-profile
  // Long names of the options given on the command line ("provider", "since", "region"):
  // a profile fills only the others.
  std::set<std::string> given;
  std::string provider_source; // "--provider", "AUDITFETCH_PROVIDER" or "profile NAME (FILE:LINE)"
  ProfileLayer profile;        // what the config profile adds beneath flags and environment
};

} // namespace auditfetch
