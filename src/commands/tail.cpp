#include "auditfetch/commands/commands.hpp"

#include "auditfetch/error.hpp"

namespace auditfetch {

int run_tail(const TailOptions&, const Registry&, Environment&) {
  throw Error(ErrorKind::usage, "tail is not available in this version yet",
              "run 'auditfetch list --since T' from cron meanwhile");
}

} // namespace auditfetch
