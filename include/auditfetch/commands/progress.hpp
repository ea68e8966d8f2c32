#pragma once
// The progress line of long runs: one line at the bottom of a terminal's stderr, redrawn in
// place at most 10 times a second and erased before any other stderr message and at the end.
//
//   pages 12 · activities 12,000 · 48,000/s · 2024-06-01T00:00Z … 2024-06-03T11:20Z
//
// Shown only when stderr is a terminal, stdout is not one (there the activities themselves
// show the progress, and a status line would tear the table) and -q/--quiet is not given.
// Nothing here runs per record: list and tail report once per page or poll.

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/time/time.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace auditfetch {

struct ProgressCounts {
  std::size_t pages = 0;
  std::size_t read = 0;    // activities received
  std::size_t printed = 0; // activities that matched and were written
  std::chrono::milliseconds elapsed{0};
  std::optional<Timestamp> oldest; // the time window covered so far
  std::optional<Timestamp> newest;
};

// "12,000".
std::string format_count(std::size_t n);

// "2024-06-01T00:00Z" (UTC, minutes, truncated).
std::string format_minute(Timestamp t);

// "pages 12 · activities 12,000 · 48,000/s · 2024-06-01T00:00Z … 2024-06-03T11:20Z"; when
// local filters dropped some, "activities 120 of 12,000"; the rate is of activities read and
// is left out during the first half second. Cut to `width` columns (0: no limit), ending in
// "…" when cut.
std::string format_progress(const ProgressCounts& counts, std::size_t width);

// tail: "tail · polls 3 · activities 42 · newest 2024-06-03T11:20Z · next poll in 25s" between
// polls (seconds rounded up), "… · polling" without `next_poll`.
std::string format_tail_status(std::size_t polls, std::size_t printed,
                               std::optional<Timestamp> newest,
                               std::optional<std::chrono::milliseconds> next_poll);

// tail of several sources: "tail · 3 sources · activities 42 · newest 2024-06-03T11:20Z", then
// " · okta failing" for each source whose last poll failed (" · okta, gh failing").
std::string format_sources_status(std::size_t sources, std::size_t printed, std::optional<Timestamp> newest,
                                  const std::vector<std::string>& failing);

// Cut `text` (UTF-8) to at most `width` columns, counting code points; 0: no limit.
std::string fit_to_width(const std::string& text, std::size_t width);

// Write `line` and a newline to stderr whole, first erasing the progress line if one is shown.
// Thread-safe: every stderr diagnostic goes through here.
void write_stderr_line(const std::string& line);

// Whether a progress line belongs on stderr: stderr is a terminal, stdout is not, not quiet,
// and TERM is not "dumb".
bool progress_wanted(bool stdout_is_terminal, bool quiet);

class Progress {
public:
  using clock = std::chrono::steady_clock;

  // Draws nothing unless `enabled`.
  explicit Progress(bool enabled);
  ~Progress(); // erases the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool enabled() const { return m_enabled; }

  // One page: `read` activities received, `printed` written (in page order, so the first and
  // last bound their times), `newest` the newest created_at read. Redraws when 100 ms have
  // passed since the last time (250 ms after the start for the first).
  void page(std::size_t read, std::span<const Activity> printed, std::optional<Timestamp> newest) {
    if (m_enabled)
      record_page(read, printed.size(), printed.empty() ? std::nullopt : printed.front().created_at,
                  printed.empty() ? newest : printed.back().created_at, newest);
  }

  // Show `text` instead of the counts (tail between polls); redrawn only when it changes.
  void status(const std::string& text);

  // Erase the line now (it comes back with the next update).
  void clear();

  const ProgressCounts& counts() const { return m_counts; }

private:
  void record_page(std::size_t read, std::size_t printed, std::optional<Timestamp> a,
                   std::optional<Timestamp> b, std::optional<Timestamp> c);
  void draw(const std::string& text);

  bool m_enabled;
  clock::time_point m_start;
  clock::time_point m_last_draw;
  ProgressCounts m_counts;
  std::string m_shown;
};

} // namespace auditfetch
