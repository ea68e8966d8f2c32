#pragma once
// Activity → table | json | ndjson | csv, streamed as pages arrive.

#include "auditfetch/activity/activity.hpp"
#include "auditfetch/time/zone.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

enum class Format { table, json, ndjson, csv };

// Parse "table|json|ndjson|csv"; throws Error(usage).
Format parse_format(std::string_view text);

// Where output goes. The writer never closes it.
class Sink {
public:
  virtual ~Sink() = default;
  virtual void write(std::string_view bytes) = 0;
  // Push buffered bytes out. Throws BrokenPipe when the reader went away (EPIPE, `| head`),
  // Error(remote) on any other write failure (disk full).
  virtual void flush() = 0;
};

// Writes to a file descriptor through a buffer; flush() writes everything out.
// A closed pipe (EPIPE, e.g. `| head`) throws BrokenPipe so the caller can stop quietly.
class FdSink final : public Sink {
public:
  explicit FdSink(int fd);
  ~FdSink() override;
  void write(std::string_view bytes) override;
  void flush() override;
  // Flush, then fsync when the descriptor is a file (a checkpoint must never outlive the
  // output it vouches for); pipes and terminals need nothing more.
  void sync();

private:
  int m_fd;
  std::string m_buffer;
};

struct BrokenPipe {};

struct WriterOptions {
  Format format = Format::ndjson;
  std::vector<Field> fields;      // selection, in the user's order; empty means every field
  bool single_object = false;     // json: print one object, not an array (`get`)
  // table: the terminal's columns to fit, shortening the last or the widest column; 0 shortens
  // nothing (not a terminal, or --wide).
  std::size_t terminal_width = 0;
  bool color = false;             // table and detail: ANSI colour
  bool headers = true;            // table and csv: the header line (--no-headers)
  // table: one block per activity (`get` on a terminal): each unified field on its own line,
  // then remote_data as indented JSON.
  bool detail = false;
  bool discard = false;           // print nothing (list --count prints the number itself)
  // The run reads named sources: without --fields, every format prints `source` (the table as
  // its second column).
  bool source = false;
  Zone zone;                      // table and detail: times shown in this zone (--tz); the others stay UTC
};

class Writer {
public:
  virtual ~Writer() = default;
  // Called once before any activity (table header, CSV header, JSON "[").
  virtual void begin() = 0;
  virtual void write(const Activity& activity) = 0;
  // Called after each page: ndjson/json/csv flush the sink here.
  virtual void end_page() = 0;
  // Called once at the end, also after an error (closes the JSON array); flushes.
  virtual void finish() = 0;
};

std::unique_ptr<Writer> make_writer(const WriterOptions& options, Sink& sink);

// Append the activity as one compact JSON object (no newline) with every selected key,
// null where there is no value. Used by json and ndjson.
void append_activity_json(std::string& out, const Activity& activity,
                          const std::vector<Field>& selection);

} // namespace auditfetch
