#include "auditfetch/query/query.hpp"

#include "auditfetch/error.hpp"

namespace auditfetch {

std::pair<std::string, std::string> parse_param(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error(ErrorKind::usage, "--param: '" + text + "' is not key=value",
                "write it like --param truto_ignore_remote_data=true");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

} // namespace auditfetch
