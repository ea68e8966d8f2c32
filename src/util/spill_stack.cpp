#include "auditfetch/util/spill_stack.hpp"

#include "auditfetch/util/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

namespace auditfetch {
namespace {

// In the file each item is its bytes, then their count (4 bytes, little-endian), so that it
// is read from the end without an index in memory.
constexpr std::size_t k_length_bytes = 4;
constexpr std::size_t k_write_chunk = 64 * 1024;

[[noreturn]] void fail(const std::string& directory, const char* what) {
  throw Error(ErrorKind::remote,
              fmt::format("--order: cannot {} the temporary file in {}: {}", what, directory, std::strerror(errno)),
              "set TMPDIR to a directory with room");
}

void append_length(std::string& out, std::size_t n) {
  for (std::size_t i = 0; i < k_length_bytes; ++i)
    out += static_cast<char>((n >> (8 * i)) & 0xff);
}

bool read_at(int fd, char* to, std::size_t n, std::uint64_t offset) {
  while (n > 0) {
    const auto got = ::pread(fd, to, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return false;
    to += got;
    n -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
  return true;
}

} // namespace

SpillStack::SpillStack(std::size_t max_items, std::size_t max_bytes, std::string directory)
    : m_max_items(max_items), m_max_bytes(max_bytes), m_directory(std::move(directory)) {}

SpillStack::~SpillStack() {
  if (m_fd >= 0)
    ::close(m_fd);
}

void SpillStack::push(std::string_view item) {
  if (item.size() > 0xffffffffu)
    throw Error(ErrorKind::remote, "--order: an activity is larger than 4 GiB");
  ++m_size;
  if (m_fd < 0) {
    m_memory.emplace_back(item);
    m_memory_bytes += item.size();
    if (m_memory.size() > m_max_items || m_memory_bytes > m_max_bytes)
      spill();
    return;
  }
  m_buffer += item;
  append_length(m_buffer, item.size());
  if (m_buffer.size() >= k_write_chunk)
    write_out();
}

void SpillStack::spill() {
  // Unnamed where the file system allows (O_TMPFILE), else named and removed at once.
  m_fd = ::open(m_directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (m_fd < 0) {
    std::string path = m_directory + "/auditfetch-order-XXXXXX";
    m_fd = ::mkostemp(path.data(), O_CLOEXEC);
    if (m_fd < 0)
      fail(m_directory, "create");
    ::unlink(path.c_str());
  }
  for (auto& item : m_memory) {
    m_buffer += item;
    append_length(m_buffer, item.size());
    if (m_buffer.size() >= k_write_chunk)
      write_out();
    std::string().swap(item);
  }
  std::vector<std::string>().swap(m_memory);
  m_memory_bytes = 0;
  write_out();
}

void SpillStack::write_out() {
  std::size_t done = 0;
  while (done < m_buffer.size()) {
    const auto n = ::pwrite(m_fd, m_buffer.data() + done, m_buffer.size() - done,
                            static_cast<off_t>(m_end + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      fail(m_directory, "write");
    done += static_cast<std::size_t>(n);
  }
  m_end += m_buffer.size();
  m_buffer.clear();
}

bool SpillStack::pop(std::string& out) {
  if (m_size == 0)
    return false;
  --m_size;
  if (m_fd < 0) {
    out = std::move(m_memory.back());
    m_memory.pop_back();
    m_memory_bytes -= out.size();
    return true;
  }
  if (!m_buffer.empty())
    write_out();
  unsigned char length[k_length_bytes];
  if (m_end < k_length_bytes || !read_at(m_fd, reinterpret_cast<char*>(length), k_length_bytes, m_end - k_length_bytes))
    fail(m_directory, "read");
  std::size_t n = 0;
  for (std::size_t i = 0; i < k_length_bytes; ++i)
    n |= static_cast<std::size_t>(length[i]) << (8 * i);
  if (m_end < k_length_bytes + n)
    fail(m_directory, "read");
  m_end -= k_length_bytes + n;
  out.resize(n);
  if (n > 0 && !read_at(m_fd, out.data(), n, m_end))
    fail(m_directory, "read");
  return true;
}

} // namespace auditfetch
