#include "auditfetch/util/error.hpp"

#include <fmt/format.h>

namespace auditfetch {

int exit_code(ErrorKind kind) {
  for (const auto& status : k_exit_statuses)
    if (status.kind == kind)
      return status.code;
  return 1;
}

std::string exit_status_text() {
  std::string text = fmt::format("  {:>3}  {}\n", k_exit_ok, "success");
  for (const auto& status : k_exit_statuses)
    text += fmt::format("  {:>3}  {}\n", status.code, status.meaning);
  return text;
}

} // namespace auditfetch
