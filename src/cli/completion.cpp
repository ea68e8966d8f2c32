// auditfetch completion bash|zsh|fish, and auditfetch help [COMMAND]
#include "options.hpp"

namespace auditfetch::cli {

void setup_completion(CLI::App& command, ParsedCommandLine& parsed, const Registry& registry) {
  auto* sub = &command;
  auto& o = parsed.completion;
  add_optional(*sub, "shell", o.shell, "bash, zsh or fish")->option_text("SHELL");
  add_optional(*sub, "--list", o.list,
               "Print the words the scripts offer instead, one a line: actions, fields or settings "
               "(of the provider of -p)")
      ->option_text("KIND");
  sub->add_option_function<std::string>(
         "-p,--provider",
         [&o, &registry](const std::string& name) {
           const auto* spec = registry.summary_if(name);
           o.provider = spec ? spec->name : name;
         },
         "With --list: that provider's native actions, or its settings only")
      ->option_text("NAME");
  sub->add_option("--providers-dir", o.providers_dirs,
                  "Also load provider definitions (*.json) from DIR; env AUDITFETCH_PROVIDERS_DIR")
      ->option_text("DIR")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->footer("The scripts ask the binary for provider, profile, action and setting names as you type.\n"
              "Examples:\n"
              "  auditfetch completion bash > ~/.local/share/bash-completion/completions/auditfetch\n"
              "  auditfetch completion zsh > ~/.zfunc/_auditfetch   # with fpath=(~/.zfunc $fpath)\n"
              "  auditfetch completion fish > ~/.config/fish/completions/auditfetch.fish\n"
              "  auditfetch completion --list actions -p okta\n");
  sub->callback([&parsed, &registry] {
    parsed.command = "completion";
    parsed.run = [&parsed, &registry](Environment& environment, StderrDiagnostics&) {
      return run_completion(parsed.completion, registry, environment);
    };
  });
}

void setup_help(CLI::App& command) {
  // Never parsed: prepare_arguments turns `help COMMAND...` into `COMMAND... --help`. Here so
  // that `auditfetch --help` lists it.
  auto* sub = &command;
  sub->add_option("command", "Command (and subcommand) whose help to print")->option_text("COMMAND...");
}

} // namespace auditfetch::cli
