#include "auditfetch/commands/progress.hpp"

#include <date/date.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <string_view>
#include <sys/ioctl.h>
#include <unistd.h>

namespace auditfetch {
namespace {

using namespace std::chrono_literals;

constexpr auto k_first_draw = 250ms; // a run shorter than this shows nothing
constexpr auto k_redraw = 100ms;     // at most 10 redraws a second
constexpr auto k_rate_after = 500ms; // a rate over less time is noise
constexpr std::string_view k_erase = "\r\x1b[K";

// Every stderr write goes through here, so the progress line is erased before a message and
// lines from the fetching and writing threads never interleave.
std::mutex g_stderr_mutex;
bool g_line_shown = false; // guarded by g_stderr_mutex

void write_all(std::string_view text) {
  while (!text.empty()) {
    const auto n = ::write(2, text.data(), text.size());
    if (n < 0 && errno == EINTR)
      continue; // SIGINT/SIGTERM handlers do not restart system calls
    if (n <= 0)
      return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// The columns the line may take: one fewer than the terminal's, so that it never wraps (a
// wrapped line could not be redrawn in place). Asked at each draw: the window may be resized.
std::size_t line_width() {
  winsize size{};
  if (::ioctl(2, TIOCGWINSZ, &size) == 0 && size.ws_col > 1)
    return size.ws_col - 1u;
  return 79;
}

} // namespace

std::string format_count(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_minute(Timestamp t) {
  return date::format("%Y-%m-%dT%H:%MZ", std::chrono::floor<std::chrono::minutes>(t));
}

std::string fit_to_width(const std::string& text, std::size_t width) {
  if (width == 0)
    return text;
  std::size_t columns = 0;
  for (unsigned char c : text)
    columns += (c & 0xC0) != 0x80;
  if (columns <= width)
    return text;
  // Keep width - 1 code points and end in "…".
  std::string out;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80 && ++kept > width - 1)
      break;
    out += text[i];
  }
  return out + "…";
}

std::string format_progress(const ProgressCounts& counts, std::size_t width) {
  std::string text = fmt::format("pages {} · activities {}", format_count(counts.pages),
                                 format_count(counts.printed));
  if (counts.read != counts.printed)
    text += " of " + format_count(counts.read);
  if (counts.elapsed >= k_rate_after) {
    const auto per_second = static_cast<double>(counts.read) * 1000.0 /
                            static_cast<double>(counts.elapsed.count());
    text += fmt::format(" · {}/s", format_count(static_cast<std::size_t>(per_second + 0.5)));
  }
  if (counts.oldest && counts.newest) {
    const auto from = format_minute(*counts.oldest);
    const auto to = format_minute(*counts.newest);
    text += " · " + from;
    if (to != from)
      text += " … " + to;
  }
  return fit_to_width(text, width);
}

void write_stderr_line(const std::string& line) {
  std::lock_guard lock(g_stderr_mutex);
  std::string text;
  if (g_line_shown)
    text = k_erase;
  g_line_shown = false;
  text += line;
  text += '\n';
  write_all(text);
}

std::string format_tail_status(std::size_t polls, std::size_t printed,
                               std::optional<Timestamp> newest,
                               std::optional<std::chrono::milliseconds> next_poll) {
  std::string text = fmt::format("tail · polls {} · activities {}", format_count(polls),
                                 format_count(printed));
  if (newest)
    text += " · newest " + format_minute(*newest);
  if (next_poll) // whole seconds, rounded up: "in 0s" only once it is due
    text += fmt::format(" · next poll in {}s", (next_poll->count() + 999) / 1000);
  else
    text += " · polling";
  return text;
}

std::string format_sources_status(std::size_t sources, std::size_t printed, std::optional<Timestamp> newest,
                                  const std::vector<std::string>& failing) {
  std::string text = fmt::format("tail · {} sources · activities {}", sources, format_count(printed));
  if (newest)
    text += " · newest " + format_minute(*newest);
  if (!failing.empty())
    text += fmt::format(" · {} failing", fmt::join(failing, ", "));
  return text;
}

bool progress_wanted(bool stdout_is_terminal, bool quiet) {
  if (quiet || stdout_is_terminal || ::isatty(2) != 1)
    return false;
  const char* term = std::getenv("TERM");
  return !(term && std::string_view(term) == "dumb");
}

Progress::Progress(bool enabled)
    : m_enabled(enabled), m_start(clock::now()), m_last_draw(m_start - k_redraw + k_first_draw) {}

Progress::~Progress() { clear(); }

void Progress::record_page(std::size_t read, std::size_t printed, std::optional<Timestamp> a,
                           std::optional<Timestamp> b, std::optional<Timestamp> c) {
  ++m_counts.pages;
  m_counts.read += read;
  m_counts.printed += printed;
  for (const auto& t : {a, b, c}) {
    if (!t)
      continue;
    if (!m_counts.oldest || *t < *m_counts.oldest)
      m_counts.oldest = t;
    if (!m_counts.newest || *t > *m_counts.newest)
      m_counts.newest = t;
  }
  const auto now = clock::now(); // no system call: the vDSO clock
  if (now - m_last_draw < k_redraw)
    return;
  m_last_draw = now;
  m_counts.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - m_start);
  draw(format_progress(m_counts, line_width()));
  m_shown.clear();
}

void Progress::status(const std::string& text) {
  if (!m_enabled)
    return;
  {
    std::lock_guard lock(g_stderr_mutex);
    if (g_line_shown && text == m_shown)
      return;
  }
  draw(fit_to_width(text, line_width()));
  m_shown = text;
}

void Progress::clear() {
  if (!m_enabled)
    return;
  std::lock_guard lock(g_stderr_mutex);
  if (g_line_shown)
    write_all(k_erase);
  g_line_shown = false;
  m_shown.clear();
}

void Progress::draw(const std::string& text) {
  std::lock_guard lock(g_stderr_mutex);
  write_all(std::string(k_erase) + text);
  g_line_shown = true;
}

} // namespace auditfetch
