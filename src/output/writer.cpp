#include "auditfetch/output/writer.hpp"

#include "auditfetch/util/error.hpp"
#include "auditfetch/util/suggest.hpp"
#include "auditfetch/util/text.hpp"
#include "output/writers.hpp"

namespace auditfetch {

Format parse_format(std::string_view text) {
  // Case does not matter: NDJSON is ndjson.
  if (iequals(text, "table"))
    return Format::table;
  if (iequals(text, "json"))
    return Format::json;
  if (iequals(text, "ndjson"))
    return Format::ndjson;
  if (iequals(text, "csv"))
    return Format::csv;
  throw Error(ErrorKind::usage,
              "unknown output format \"" + std::string(text) + "\"" +
                  did_you_mean(text, {"table", "json", "ndjson", "csv"}),
              "use table, json, ndjson or csv");
}

namespace {

class DiscardWriter final : public Writer {
public:
  void begin() override {}
  void write(const Activity&) override {}
  void end_page() override {}
  void finish() override {}
};

} // namespace

std::unique_ptr<Writer> make_writer(const WriterOptions& options, Sink& sink) {
  if (options.discard)
    return std::make_unique<DiscardWriter>();
  switch (options.format) {
  case Format::table:
    return options.detail ? make_detail_writer(options, sink) : make_table_writer(options, sink);
  case Format::csv: return make_csv_writer(options, sink);
  case Format::json:
  case Format::ndjson: break;
  }
  return make_json_writer(options, sink);
}

} // namespace auditfetch
