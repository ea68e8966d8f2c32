#pragma once
// A last-in, first-out stack of byte strings in bounded memory: up to a number of items (and
// a number of bytes) in memory, then everything in an unnamed temporary file (list --order,
// reversing an API's order). Memory and file give back the same bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace auditfetch {

class SpillStack {
public:
  // `max_items` and `max_bytes` in memory; past either, the items move to a file in
  // `directory` (created without a name, or removed at once: it never outlives the process).
  SpillStack(std::size_t max_items, std::size_t max_bytes, std::string directory);
  ~SpillStack();
  SpillStack(const SpillStack&) = delete;
  SpillStack& operator=(const SpillStack&) = delete;

  // Throws Error(remote) when the temporary file cannot be created or written (disk full).
  void push(std::string_view item);
  // The last item pushed and not yet popped, into `out`; false when there is none.
  bool pop(std::string& out);

  std::size_t size() const { return m_size; }
  bool spilled() const { return m_fd >= 0; }

private:
  void spill();
  void write_out();

  std::size_t m_max_items;
  std::size_t m_max_bytes;
  std::string m_directory;
  std::vector<std::string> m_memory;
  std::size_t m_memory_bytes = 0;
  std::size_t m_size = 0;
  int m_fd = -1;
  std::string m_buffer;     // to be appended to the file
  std::uint64_t m_end = 0;  // bytes in the file
};

} // namespace auditfetch
