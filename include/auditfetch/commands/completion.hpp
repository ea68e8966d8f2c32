#pragma once
// `auditfetch completion bash|zsh|fish`: the completion script, built into the binary; and
// `auditfetch completion --list KIND [-p NAME]`, the words those scripts offer.

#include "auditfetch/commands/environment.hpp"
#include "auditfetch/provider/registry.hpp"

#include <optional>
#include <string>
#include <vector>

namespace auditfetch {

struct CompletionOptions {
  std::optional<std::string> shell; // bash, zsh or fish
  std::optional<std::string> list;  // actions, fields or settings
  std::string provider;             // -p: the provider whose actions or settings
  std::vector<std::string> providers_dirs;
};

// The script of a shell (the files of completions/), or nullptr for a shell without one.
const char* completion_script(const std::string& shell);

// The words of --list KIND, one a line: actions (the unified ones, then the provider's
// native ones), fields (every unified field path --fields accepts), settings (the provider's
// setting flags; without -p, every provider's).
std::vector<std::string> completion_words(const CompletionOptions& options, const Registry& registry);

int run_completion(const CompletionOptions& options, const Registry& registry, Environment& environment);

} // namespace auditfetch
