#include "auditfetch/output/writer.hpp"

#include "auditfetch/util/error.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace auditfetch {
namespace {

constexpr std::size_t k_flush_threshold = 64 * 1024;

std::string fd_description(int fd) {
  return fd == STDOUT_FILENO ? "stdout" : "fd " + std::to_string(fd);
}

// Returns when the write is worth retrying; throws otherwise.
void wait_or_throw(int fd, int error) {
  if (error == EINTR)
    return;
  // stdout may have been left non-blocking by whoever shares it (a parent shell, node).
  if (error == EAGAIN || error == EWOULDBLOCK) {
    pollfd ready{fd, POLLOUT, 0};
    ::poll(&ready, 1, -1);
    return;
  }
  if (error == EPIPE)
    throw BrokenPipe{};
  throw Error(ErrorKind::remote,
              "write to " + fd_description(fd) + ": " + std::system_category().message(error));
}

} // namespace

FdSink::FdSink(int fd) : m_fd(fd) {}

FdSink::~FdSink() {
  try {
    flush();
  } catch (...) {
    // Nothing can be reported from a destructor; the caller's flush() already saw the error.
  }
}

void FdSink::write(std::string_view bytes) {
  m_buffer += bytes;
  if (m_buffer.size() > k_flush_threshold)
    flush();
}

void FdSink::flush() {
  std::size_t written = 0;
  try {
    while (written < m_buffer.size()) {
      const auto n = ::write(m_fd, m_buffer.data() + written, m_buffer.size() - written);
      if (n >= 0)
        written += static_cast<std::size_t>(n);
      else
        wait_or_throw(m_fd, errno);
    }
  } catch (...) {
    // The output is lost either way; dropping it keeps the destructor from retrying.
    m_buffer.clear();
    throw;
  }
  m_buffer.clear();
}

void FdSink::sync() {
  flush();
  if (::fsync(m_fd) != 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP)
    throw Error(ErrorKind::remote, std::string("fsync of the output: ") + std::strerror(errno));
}

} // namespace auditfetch
