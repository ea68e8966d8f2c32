#include "delivery.hpp"

#include "auditfetch/util/error.hpp"

#include <fmt/format.h>

namespace auditfetch {

void check_delivery_options(const ListOptions& options) {
  if (options.exec) {
    if (options.exec->find_first_not_of(" \t\n") == std::string::npos)
      throw Error(ErrorKind::usage, "--exec needs a command", "e.g. --exec 'curl -fsS --data-binary @- URL'");
    if (options.common.output && *options.common.output != "ndjson" && !options.common.explain)
      throw Error(ErrorKind::usage,
                  fmt::format("--exec hands the command NDJSON: -o {} does not apply", *options.common.output),
                  "leave out -o (or pass -o ndjson); --fields still selects the fields");
  } else {
    if (options.batch)
      throw Error(ErrorKind::usage, "--batch applies to --exec", "pass --exec CMD too");
    if (options.exec_retries)
      throw Error(ErrorKind::usage, "--exec-retries applies to --exec", "pass --exec CMD too");
  }
  if (options.batch && *options.batch == 0)
    throw Error(ErrorKind::usage, "--batch must be 1 or more");
  if (options.exec_retries && *options.exec_retries < 0)
    throw Error(ErrorKind::usage, "--exec-retries must be 0 or more");
  // A checkpointed run delivers in the API's order, page by page, and keeps the API's own
  // continuation: a reversed or re-sorted listing would break both.
  if (options.query.order && !options.order_here && (options.state || options.exec))
    throw Error(ErrorKind::usage,
                fmt::format("--order cannot be combined with {}: a checkpointed or delivered run goes in "
                            "the order the API serves",
                            options.state ? "--state" : "--exec"),
                "leave out --order (see 'auditfetch providers NAME' for the API's order)");
  if (options.wait_lock) {
    if (!options.state)
      throw Error(ErrorKind::usage, "--wait-lock applies to --state", "pass --state FILE too");
    if (parse_duration(*options.wait_lock, "--wait-lock").count() < 0)
      throw Error(ErrorKind::usage, "--wait-lock must not be negative");
  }
}

std::optional<StateLock> lock_state(const ListOptions& options) {
  if (!options.state)
    return std::nullopt;
  const auto wait = options.wait_lock ? parse_duration(*options.wait_lock, "--wait-lock")
                                      : std::chrono::milliseconds{0};
  return std::optional<StateLock>(std::in_place, *options.state, wait);
}

Delivery::Delivery(const ListOptions& options, Stages& stages, Diagnostics& diagnostics)
    : m_stages(stages), m_batch(options.batch) {
  if (!options.exec)
    return;
  ExecOptions exec;
  exec.command = *options.exec;
  exec.retries = options.exec_retries.value_or(exec.retries);
  m_exec = std::make_unique<ExecSink>(std::move(exec), diagnostics);
  WriterOptions writer;
  writer.format = Format::ndjson;
  if (options.common.fields)
    writer.fields = parse_fields(*options.common.fields);
  m_exec_writer = make_writer(writer, *m_exec);
}

void Delivery::begin() {
  writer().begin();
}

void Delivery::write(const Activity& activity) {
  writer().write(activity);
  ++m_pending;
}

void Delivery::deliver() {
  try {
    writer().end_page(); // stdout: flushed (a full disk, a closed pipe throw)
    if (m_exec && m_pending > 0)
      m_exec->deliver(m_pending);
  } catch (...) {
    m_failed = true; // what was written since the last delivery may not have reached anyone
    throw;
  }
  m_pending = 0;
}

void Delivery::sync() {
  if (!m_exec)
    m_stages.sink->sync();
}

void Delivery::finish() {
  writer().finish();
}

} // namespace auditfetch
