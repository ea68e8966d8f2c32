#include "auditfetch/util/suggest.hpp"

#include "auditfetch/util/text.hpp"

#include <algorithm>
#include <numeric>

namespace auditfetch {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::size_t allowed_edits(std::size_t length) { return length <= 4 ? 1 : length <= 8 ? 2 : 3; }

} // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the optimal-string-alignment table.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  std::iota(previous.begin(), previous.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        current[j] = std::min(current[j], before[j - 2] + 1);
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::vector<std::string> nearest_names(std::string_view word, const std::vector<std::string>& candidates,
                                       std::size_t max) {
  struct Near {
    std::size_t distance;
    std::size_t index;
  };
  std::vector<Near> near;
  const std::size_t allowed = allowed_edits(word.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto& candidate = candidates[i];
    if (candidate.empty() || word.empty())
      continue;
    const std::size_t distance = edit_distance(word, candidate);
    if (distance <= allowed)
      near.push_back({distance, i});
    else if (word.size() >= 3 && candidate.size() > word.size() &&
             iequals(std::string_view(candidate).substr(0, word.size()), word))
      near.push_back({allowed + 1, i}); // a beginning: after every near typo
  }
  std::stable_sort(near.begin(), near.end(), [](const Near& x, const Near& y) { return x.distance < y.distance; });
  std::vector<std::string> names;
  for (const auto& n : near) {
    if (names.size() == max)
      break;
    if (std::find(names.begin(), names.end(), candidates[n.index]) == names.end())
      names.push_back(candidates[n.index]);
  }
  return names;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates, bool quote) {
  const auto names = nearest_names(word, candidates, 1);
  if (names.empty())
    return "";
  return quote ? " (did you mean \"" + names.front() + "\"?)" : " (did you mean " + names.front() + "?)";
}

} // namespace auditfetch
