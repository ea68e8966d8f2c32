#pragma once
// Running a credential command (like git's credential helpers and the AWS CLI's
// credential_process): no shell, a time limit, stderr passed through, stdout is the secret.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace auditfetch {

// Run argv (the program is looked up in PATH unless it holds a '/'), stdin and stderr
// inherited, and return what it printed on stdout (at most 64 KiB). The command is killed
// (SIGKILL) when it has not finished within `timeout`, or when `cancelled` returns true (then
// Error(interrupted) is thrown). Throws Error(usage) as "<what>: command 'PROGRAM' ..." when it
// cannot start, exits non-zero, is killed or times out; the message names the program only,
// never its arguments or output.
std::string run_secret_command(const std::vector<std::string>& argv,
                               std::chrono::milliseconds timeout, const std::string& what,
                               const std::function<bool()>& cancelled = {});

} // namespace auditfetch
