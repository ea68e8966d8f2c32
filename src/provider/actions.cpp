#include "auditfetch/provider/actions.hpp"

#include "auditfetch/activity/activity.hpp"

#include <cctype>

namespace auditfetch {
namespace {

char fold(char c, bool case_insensitive) {
  return case_insensitive ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

} // namespace

bool glob_match(std::string_view pattern, std::string_view text, bool case_insensitive) {
  // Iterative matcher with single-star backtracking: linear for the patterns we use.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() &&
               fold(pattern[p], case_insensitive) == fold(text[t], case_insensitive)) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

std::optional<std::string> unified_action(const ProviderSpec& spec, std::string_view native) {
  if (spec.actions_unified && is_unified_action(native))
    return std::string(native);
  for (const auto& rule : spec.actions)
    if (rule.where.empty() && glob_match(rule.pattern, native, spec.actions_case_insensitive))
      return rule.unified;
  return std::nullopt;
}

std::optional<std::vector<std::string>> native_actions_for(const ProviderSpec& spec,
                                                           std::string_view action) {
  if (spec.actions_unified)
    return std::vector<std::string>{std::string(action)};
  // The table is keyed by something other than the native action: no exact translation.
  if (!spec.mapping.action_key.empty())
    return std::nullopt;
  std::vector<std::string> values;
  for (const auto& rule : spec.actions) {
    if (rule.unified != action)
      continue;
    if (rule.pattern.find('*') != std::string::npos || spec.actions_case_insensitive)
      return std::nullopt;
    // An earlier unconditional rule may claim this exact value for something else.
    if (!rule.where.empty() || unified_action(spec, rule.pattern) == rule.unified)
      values.push_back(rule.pattern);
  }
  return values;
}

} // namespace auditfetch
