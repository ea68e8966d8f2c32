#pragma once
// "Did you mean": the known names nearest to a mistyped one, for every such suggestion the
// command line and the definitions make (commands, flags, providers, profiles, formats,
// actions). No edit-distance library is packaged in Debian for C++; this is the small
// optimal-string-alignment distance (Levenshtein plus swapped neighbours).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

// Edits (insert, delete, replace, swap two neighbours) that turn a into b, ASCII
// case-insensitively: "lsit" → "list" is 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidates close enough to `word` to be what was meant, nearest first (ties in the
// candidates' order), at most `max`. Close enough: a few edits for the word's length (1 up to
// 4 letters, 2 up to 8, 3 beyond), or a candidate the word begins (at least 3 letters). A
// candidate equal to the word but for case comes first.
std::vector<std::string> nearest_names(std::string_view word, const std::vector<std::string>& candidates,
                                       std::size_t max = 3);

// " (did you mean X?)" with the nearest candidate, or "" when none is near. `quote` puts
// the name in double quotes ("list"); flags go bare (--since).
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates,
                         bool quote = true);

} // namespace auditfetch
