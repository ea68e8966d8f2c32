#pragma once
// A Sink that keeps everything written, for asserting writer output.

#include "auditfetch/output/writer.hpp"

#include <string>
#include <string_view>

namespace auditfetch::test {

class StringSink final : public Sink {
public:
  void write(std::string_view bytes) override { m_pending += bytes; }
  void flush() override {
    m_flushed += m_pending;
    m_pending.clear();
    ++m_flush_count;
  }

  // Everything written, flushed or not.
  std::string text() const { return m_flushed + m_pending; }
  // Only what a flush pushed out.
  const std::string& flushed() const { return m_flushed; }
  int flush_count() const { return m_flush_count; }

private:
  std::string m_pending;
  std::string m_flushed;
  int m_flush_count = 0;
};

} // namespace auditfetch::test
