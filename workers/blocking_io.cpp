#include "workers/blocking_io.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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
    ssize_t w = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
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

long read_some(int fd, std::string& out, std::size_t max, int timeout_ms) {
  std::size_t old = out.size();
  out.resize(old + max);
  for (;;) {
    ssize_t r = ::recv(fd, out.data() + old, max, 0);
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
