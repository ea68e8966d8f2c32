#pragma once
// One exception type for every failure the user sees, and the one table of exit codes
// shared by --help, the man page and the tests.

#include <array>
#include <stdexcept>
#include <string>

namespace auditfetch {

enum class ErrorKind {
  remote,      // network failure after retries, bad status, invalid response
  usage,       // bad flags, bad configuration, missing credentials
  auth,        // authentication or authorisation refused
  not_found,   // `get` of an id the provider does not know
  incomplete,  // `verify`: the files miss or repeat activities the API serves
  interrupted, // SIGINT
  busy,        // the state file is held by another run (its lock file)
};

struct ExitStatus {
  int code;
  ErrorKind kind;
  const char* meaning;
};

inline constexpr int k_exit_ok = 0;
inline constexpr std::array<ExitStatus, 7> k_exit_statuses{{
    {1, ErrorKind::remote, "remote or network failure after retries, or an invalid response"},
    {2, ErrorKind::usage, "usage or configuration error, missing credentials included"},
    {3, ErrorKind::auth, "authentication or authorisation refused"},
    {4, ErrorKind::not_found, "not found (get)"},
    {5, ErrorKind::incomplete, "verify: an activity the API serves is missing from the files, or in them twice"},
    {6, ErrorKind::busy, "the state file is in use by another auditfetch run (--wait-lock waits for it)"},
    {130, ErrorKind::interrupted, "interrupted by SIGINT (SIGTERM stops cleanly with 0)"},
}};

// Return the process exit code for an error kind.
int exit_code(ErrorKind kind);

// The exit status table as text, for --help and the man page.
std::string exit_status_text();

class Error : public std::runtime_error {
public:
  Error(ErrorKind kind, std::string message, std::string hint = {})
      : std::runtime_error(std::move(message)), m_kind(kind), m_hint(std::move(hint)) {}

  ErrorKind kind() const { return m_kind; }
  // What the user can do about it; may be empty.
  const std::string& hint() const { return m_hint; }

  // Return a copy whose message is "prefix: message", kind and hint kept.
  Error with_context(const std::string& prefix) const {
    return Error(m_kind, prefix + ": " + what(), m_hint);
  }

private:
  ErrorKind m_kind;
  std::string m_hint;
};

} // namespace auditfetch
