// The command line before and after CLI11: `help COMMAND`, our own messages for unknown
// commands and flags, a flag without its value, switches, and whatever CLI11 still refuses.
#include "options.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/util/suggest.hpp"
#include "auditfetch/util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

namespace auditfetch::cli {
namespace {

std::vector<CLI::App*> subcommands_of(CLI::App& app) {
  return app.get_subcommands([](CLI::App*) { return true; });
}

CLI::App* find_subcommand(CLI::App& app, const std::string& name) {
  for (auto* sub : subcommands_of(app))
    if (sub->get_name() == name)
      return sub;
  return nullptr;
}

// "-1", "-5m", "-.5": a value that begins with '-', not a flag.
bool negative_number(const std::string& arg) {
  return arg.size() > 1 && arg[0] == '-' &&
         ((arg[1] >= '0' && arg[1] <= '9') || (arg[1] == '.' && arg.size() > 2 && arg[2] >= '0' && arg[2] <= '9'));
}

bool looks_like_flag(const std::string& arg) {
  return arg.size() > 1 && arg[0] == '-' && !negative_number(arg);
}

bool takes_value(const CLI::Option& option) { return option.get_items_expected_max() > 0; }

// The names an unknown flag is compared with: every long name, then every short one.
std::vector<std::string> flag_names(CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* option : app.get_options())
    for (const auto& name : option->get_lnames())
      names.push_back("--" + name);
  for (const auto* option : app.get_options())
    for (const auto& name : option->get_snames())
      names.push_back("-" + name);
  return names;
}

std::size_t positional_capacity(CLI::App& app) {
  std::size_t capacity = 0;
  for (const auto* option : app.get_options())
    if (!option->nonpositional())
      capacity += static_cast<std::size_t>(std::max(option->get_items_expected_max(), 0));
  return capacity;
}

std::string help_hint(const std::string& path) { return fmt::format("see '{} --help'", path); }

} // namespace

bool is_switch(const SettingSpec& setting) {
  return setting.choices.size() == 2 && setting.choices.count("true") && setting.choices.count("false");
}

PreparedArguments prepare_arguments(CLI::App& app, std::vector<std::string> args,
                                    const Registry& registry) {
  PreparedArguments prepared;
  // `auditfetch help [COMMAND...]` is `auditfetch [COMMAND...] --help`.
  if (args.size() > 1 && args[1] == "help") {
    args.erase(args.begin() + 1);
    args.push_back("--help");
  }
  std::set<std::string> switches;
  for (const auto& spec : registry.all())
    for (const auto& setting : spec.settings)
      if (is_switch(setting))
        switches.insert("--" + setting.name);

  auto& out = prepared.args;
  out.push_back(args.empty() ? "auditfetch" : args[0]);
  CLI::App* current = &app;
  std::string path = "auditfetch";
  std::size_t positionals = 0;
  bool options_here = false; // an option given after the last command word
  bool only_positionals = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!only_positionals && arg == "--") {
      only_positionals = true;
      out.push_back(arg);
      continue;
    }
    if (only_positionals || !looks_like_flag(arg)) {
      auto subcommands = subcommands_of(*current);
      if (!subcommands.empty() && !only_positionals) {
        if (auto* sub = find_subcommand(*current, arg)) {
          current = sub;
          path += " " + arg;
          positionals = 0;
          options_here = false;
          out.push_back(arg);
          continue;
        }
        std::vector<std::string> names;
        for (auto* sub : subcommands)
          names.push_back(sub->get_name());
        if (current == &app)
          names.push_back("help");
        const auto suggestion = did_you_mean(arg, names);
        const std::string where = current == &app ? "" : fmt::format(" for \"{}\"", path);
        std::string known;
        for (const auto& known_name : names)
          known += (known.empty() ? "" : ", ") + known_name;
        throw Error(ErrorKind::usage, fmt::format("unknown command \"{}\"{}{}", arg, where, suggestion),
                    suggestion.empty() ? fmt::format("commands: {}; {}", known, help_hint(path)) : std::string());
      }
      if (positionals >= positional_capacity(*current))
        throw Error(ErrorKind::usage, fmt::format("unexpected argument \"{}\"", arg),
                    positional_capacity(*current) == 0
                        ? fmt::format("'{}' takes no arguments; see '{} --help'", path, path)
                        : help_hint(path));
      ++positionals;
      out.push_back(arg);
      continue;
    }

    // A flag: --name, --name=value, -x, -xVALUE, or -xyz (short switches together).
    options_here = true;
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (arg.rfind("--", 0) == 0) {
      if (const auto equals = arg.find('='); equals != std::string::npos) {
        name = arg.substr(0, equals);
        inline_value = arg.substr(equals + 1);
      }
    } else if (arg.size() > 2) {
      name = arg.substr(0, 2);
      inline_value = arg.substr(2);
    }
    const CLI::Option* option = current->get_option_no_throw(name);
    if (!option) {
      const auto suggestion = did_you_mean(name, flag_names(*current), false);
      throw Error(ErrorKind::usage, fmt::format("unknown flag {}{}", name, suggestion),
                  suggestion.empty() ? help_hint(path) : std::string());
    }
    if (switches.count(name) && !inline_value) {
      // A boolean setting: bare means true; an explicit true or false after it is its value.
      if (i + 1 < args.size() && (iequals(args[i + 1], "true") || iequals(args[i + 1], "false")))
        out.push_back(name + "=" + ascii_lower(args[++i]));
      else
        out.push_back(name + "=true");
      continue;
    }
    if (!takes_value(*option)) {
      // --verbose=true is a switch too (CLI11 takes true/false); nothing else.
      if (inline_value && arg.rfind("--", 0) == 0 && !iequals(*inline_value, "true") &&
          !iequals(*inline_value, "false"))
        throw Error(ErrorKind::usage, fmt::format("{} takes no value", name),
                    fmt::format("write {} alone", name));
      // -vq: every letter a known switch.
      if (inline_value && arg.rfind("--", 0) != 0)
        for (char c : *inline_value) {
          const std::string letter = std::string("-") + c;
          const auto* other = current->get_option_no_throw(letter);
          if (!other || takes_value(*other))
            throw Error(ErrorKind::usage, fmt::format("unknown flag {} in {}", letter, arg), help_hint(path));
        }
      out.push_back(arg);
      continue;
    }
    out.push_back(arg);
    if (inline_value)
      continue;
    if (i + 1 >= args.size() || looks_like_flag(args[i + 1]))
      throw Error(ErrorKind::usage, fmt::format("{} needs a value", name),
                  i + 1 >= args.size()
                      ? help_hint(path)
                      : fmt::format("a value that begins with '-' is written {}=VALUE", name));
    out.push_back(args[++i]);
  }
  // A command that needs a command after it (bare `auditfetch`, `auditfetch config`).
  if (!subcommands_of(*current).empty() && !options_here)
    prepared.bare = current;
  prepared.path = path;
  prepared.chosen = current;
  return prepared;
}

std::string short_usage(CLI::App& app, const std::string& path) {
  std::string text;
  if (!app.get_parent())
    text += app.get_description() + "\n\n";
  text += fmt::format("Usage: {} COMMAND [OPTIONS]\n\nCommands:\n", path);
  std::size_t width = 0;
  for (auto* sub : subcommands_of(app))
    width = std::max(width, sub->get_name().size());
  for (auto* sub : subcommands_of(app))
    text += fmt::format("  {:<{}}  {}\n", sub->get_name(), width, sub->get_description());
  text += fmt::format("\nRun 'auditfetch help {}COMMAND' (or '{} COMMAND --help') for a command's options",
                      app.get_parent() ? app.get_name() + " " : std::string(), path);
  text += app.get_parent() ? ".\n" : ", 'auditfetch --help' for all of it, 'man auditfetch' for more.\n";
  return text;
}

Error parse_error(const CLI::ParseError& e, const PreparedArguments& prepared) {
  const std::string hint = help_hint(prepared.path);
  const std::string command = prepared.path.substr(std::min(prepared.path.size(), std::string("auditfetch ").size()));
  if (e.get_name() == "RequiredError" && prepared.chosen)
    for (const auto* option : prepared.chosen->get_options())
      if (option->get_required() && option->count() == 0) {
        std::string text = option->get_option_text();
        if (text.empty()) {
          text = option->get_name();
          for (auto& c : text)
            c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        }
        return Error(ErrorKind::usage,
                     fmt::format("{} needs {} ({})", command, text, ascii_lower(option->get_description())),
                     hint);
      }
  // "Could not convert: --x = v": a value the option's type does not take.
  const std::string what = e.what();
  const std::string convert = "Could not convert: ";
  if (what.rfind(convert, 0) == 0) {
    const auto equals = what.find(" = ");
    if (equals != std::string::npos)
      return Error(ErrorKind::usage,
                   fmt::format("{} does not take {}", what.substr(convert.size(), equals - convert.size()),
                               what.substr(equals + 3)),
                   hint);
  }
  // Anything else CLI11 refuses, in our form: one lower-case line.
  std::string message = e.what();
  if (message.empty())
    message = "invalid command line";
  message[0] = static_cast<char>(ascii_lower(message.substr(0, 1))[0]);
  return Error(ErrorKind::usage, message, hint);
}

CLI::Option* add_count(CLI::App& sub, const std::string& name, std::function<void(long long)> set,
                       long long min, std::optional<long long> max, const std::string& help,
                       const std::string& range) {
  return sub.add_option_function<std::string>(
         name,
         [name, set = std::move(set), min, max, range](const std::string& text) {
           const std::string use = !range.empty() ? range
                                   : max ? fmt::format("use a whole number from {} to {}", min, *max)
                                         : fmt::format("use a whole number, {} or more", min);
           long long value = 0;
           const auto* end = text.data() + text.size();
           const auto [ptr, ec] = std::from_chars(text.data(), end, value);
           if (text.empty() || ptr != end || (ec != std::errc() && ec != std::errc::result_out_of_range))
             throw Error(ErrorKind::usage, fmt::format("{} {} is not a whole number", name, text), use);
           if (ec == std::errc::result_out_of_range || value < min || (max && value > *max))
             throw Error(ErrorKind::usage, fmt::format("{} {} is out of range", name, text), use);
           set(value);
         },
         help)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

} // namespace auditfetch::cli
