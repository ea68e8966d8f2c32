#include "auditfetch/commands/completion.hpp"

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/output/writer.hpp"
#include "auditfetch/util/error.hpp"
#include "auditfetch/util/suggest.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace auditfetch {
namespace {

void add_once(std::vector<std::string>& words, std::string word) {
  if (std::find(words.begin(), words.end(), word) == words.end())
    words.push_back(std::move(word));
}

} // namespace

std::vector<std::string> completion_words(const CompletionOptions& options, const Registry& registry) {
  const ProviderSpec* spec = options.provider.empty() ? nullptr : &registry.find(options.provider);
  std::vector<std::string> words;
  const std::string& kind = *options.list;
  if (kind == "actions") {
    for (const auto action : k_unified_actions)
      add_once(words, std::string(action));
    if (spec)
      for (const auto& rule : spec->actions)
        if (rule.pattern.find('*') == std::string::npos)
          add_once(words, rule.pattern);
  } else if (kind == "fields") {
    // Every leaf, and each parent before its first leaf (actor, actor.user, context).
    for (const Field field : leaf_fields()) {
      const std::string name(field_name(field));
      for (auto dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1))
        add_once(words, name.substr(0, dot));
      add_once(words, name);
    }
  } else if (kind == "settings") {
    for (const auto& provider : registry.all())
      if (!spec || provider.name == spec->name)
        for (const auto& setting : provider.settings)
          add_once(words, "--" + setting.name);
  } else {
    throw Error(ErrorKind::usage,
                fmt::format("--list {}: unknown list{}", kind, did_you_mean(kind, {"actions", "fields", "settings"})),
                "use actions, fields or settings");
  }
  return words;
}

int run_completion(const CompletionOptions& options, const Registry& registry, Environment& environment) {
  std::string out;
  if (options.list) {
    if (options.shell)
      throw Error(ErrorKind::usage, "--list and a shell do not go together",
                  "'auditfetch completion bash' prints the script; --list KIND the words it offers");
    for (const auto& word : completion_words(options, registry))
      out += word + "\n";
  } else {
    if (!options.shell)
      throw Error(ErrorKind::usage, "completion needs a shell: bash, zsh or fish",
                  "e.g. auditfetch completion bash > ~/.local/share/bash-completion/completions/auditfetch");
    const char* script = completion_script(*options.shell);
    if (!script)
      throw Error(ErrorKind::usage,
                  fmt::format("no completion for shell \"{}\"{}", *options.shell,
                              did_you_mean(*options.shell, {"bash", "zsh", "fish"})),
                  "use bash, zsh or fish");
    out = script;
  }
  FdSink sink(environment.stdout_fd);
  sink.write(out);
  sink.flush();
  return k_exit_ok;
}

} // namespace auditfetch
