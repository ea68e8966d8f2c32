#pragma once
// The writers behind make_writer, one per file.

#include "auditfetch/output/writer.hpp"

#include <memory>
#include <vector>

namespace auditfetch {

// json (array or single object) and ndjson.
std::unique_ptr<Writer> make_json_writer(const WriterOptions& options, Sink& sink);
std::unique_ptr<Writer> make_csv_writer(const WriterOptions& options, Sink& sink);
std::unique_ptr<Writer> make_table_writer(const WriterOptions& options, Sink& sink);
std::unique_ptr<Writer> make_detail_writer(const WriterOptions& options, Sink& sink);

// A time as the table and the detail view show it (table_writer.cpp).
std::string table_time_text(Timestamp t, const Zone& zone);

// Return the leaves a selection covers; the default leaves when it is empty (`source` among them
// when the run reads named sources).
inline std::vector<Field> selected_leaves(const std::vector<Field>& selection, bool with_source) {
  return selection.empty() ? default_leaves(with_source) : expand_leaves(selection);
}

} // namespace auditfetch
