#pragma once
// Where list and tail put their activities, batch by batch: stdout through the stages'
// writer, or with --exec each batch on a shell command's stdin. And the one-run-per-state-file
// lock (--state, --wait-lock).

#include "auditfetch/commands/list.hpp"
#include "auditfetch/output/exec.hpp"
#include "auditfetch/pipeline/stages.hpp"
#include "auditfetch/state/lock.hpp"

#include <cstddef>
#include <memory>
#include <optional>

namespace auditfetch {

// --exec, --batch, --exec-retries, --wait-lock: Error(usage) for a value or a combination
// that does not apply, before anything is sent.
void check_delivery_options(const ListOptions& options);

// The lock of --state's file, taken before the file is read and held until the run ends;
// nullopt without --state. Throws Error(busy) when another run holds it (StateLock).
std::optional<StateLock> lock_state(const ListOptions& options);

class Delivery {
public:
  Delivery(const ListOptions& options, Stages& stages, Diagnostics& diagnostics);

  bool exec() const { return m_exec != nullptr; }
  // Activities per batch (--batch); nullopt: a page (tail: a poll).
  std::optional<std::size_t> batch() const { return m_batch; }

  void begin();
  void write(const Activity& activity);
  // Activities written since the last delivery.
  std::size_t pending() const { return m_pending; }
  // The activities written since the last delivery are a batch. stdout: flushed. --exec: the
  // command is run with them, when there are any; throws Error once it gave up. After a
  // failure (failed()), nothing written since the last delivery may count as delivered.
  void deliver();
  bool failed() const { return m_failed; }
  // Before a checkpoint is saved: stdout is fsynced when it is a file. With --exec the
  // command's exit status vouched for the batch.
  void sync();
  // At the end, also after an error: closes a JSON array. A batch not delivered stays so.
  void finish();

private:
  Stages& m_stages;
  std::unique_ptr<ExecSink> m_exec;
  std::unique_ptr<Writer> m_exec_writer;
  std::optional<std::size_t> m_batch;
  std::size_t m_pending = 0;
  bool m_failed = false;

  Writer& writer() { return m_exec_writer ? *m_exec_writer : *m_stages.writer; }
};

} // namespace auditfetch
