#include "workers/blocking_io.hpp"

#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace gpp::workers {
namespace {

bool wait_for(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    int r = ::poll(&p, 1, timeout_ms);
    if (r > 0) return true;
    if (r == 0 || errno != EINTR) return false;
  }
}

}  // namespace

bool wait_writable(int fd, int timeout_ms) { return wait_for(fd, POLLOUT, timeout_ms); }

SendStatus send_some(int fd, std::string_view& bytes) {
  while (!bytes.empty()) {
    ssize_t w = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(w));
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return SendStatus::WouldBlock;
    } else {
      return SendStatus::Failed;
    }
  }
  return SendStatus::Done;
}

bool write_all(int fd, std::string_view bytes, int timeout_ms, WaitWritable wait) {
  for (;;) {
    switch (send_some(fd, bytes)) {
      case SendStatus::Done: return true;
      case SendStatus::Failed: return false;
      case SendStatus::WouldBlock:
        if (!wait(fd, timeout_ms)) return false;
    }
  }
}

SendStatus send_file_some(int fd, int file_fd, off_t& offset, std::size_t& count) {
  while (count > 0) {
    ssize_t n = ::sendfile(fd, file_fd, &offset, std::min<std::size_t>(count, 0x3FFFFFFF));
    if (n > 0) {
      count -= static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return SendStatus::WouldBlock;
    } else {
      return SendStatus::Failed;  // error, or the file is shorter than promised
    }
  }
  return SendStatus::Done;
}

long read_some(int fd, std::string& out, std::size_t max, int timeout_ms) {
  std::size_t old = out.size();
  out.resize(old + max);
  for (;;) {
    ssize_t r = ::recv(fd, out.data() + old, max, MSG_DONTWAIT);
    if (r >= 0) {
      out.resize(old + static_cast<std::size_t>(r));
      return r;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (wait_for(fd, POLLIN, timeout_ms)) continue;
    }
    out.resize(old);
    return -1;
  }
}

}  // namespace gpp::workers
