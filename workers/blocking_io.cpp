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
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

bool write_all(int fd, std::string_view bytes, int timeout_ms) {
  while (!bytes.empty()) {
    ssize_t w = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(w));
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLOUT, timeout_ms)) return false;
      continue;
    }
    return false;
  }
  return true;
}

SendFileStatus send_file_some(int fd, int file_fd, off_t& offset, std::size_t& count) {
  while (count > 0) {
    ssize_t n = ::sendfile(fd, file_fd, &offset, std::min<std::size_t>(count, 0x3FFFFFFF));
    if (n > 0) {
      count -= static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return SendFileStatus::WouldBlock;
    } else {
      return SendFileStatus::Failed;  // error, or the file is shorter than promised
    }
  }
  return SendFileStatus::Done;
}

bool send_file_all(int fd, int file_fd, off_t offset, std::size_t count, int timeout_ms) {
  // sendfile(2) has no MSG_DONTWAIT: on a blocking client socket (sync,
  // gthread) the send timeout bounds each call instead.
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  for (;;) {
    switch (send_file_some(fd, file_fd, offset, count)) {
      case SendFileStatus::Done: return true;
      case SendFileStatus::Failed: return false;
      case SendFileStatus::WouldBlock:
        if (!wait_for(fd, POLLOUT, timeout_ms)) return false;
    }
  }
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
