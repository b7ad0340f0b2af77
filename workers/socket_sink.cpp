#include "workers/socket_sink.hpp"

#include <sys/socket.h>
#include <sys/time.h>

namespace gpp::workers {

bool SocketSink::write(std::string_view bytes) { return write_all(fd_, bytes, timeout_ms_, wait_); }

std::size_t SocketSink::try_write(std::string_view bytes) {
  std::size_t size = bytes.size();
  send_some(fd_, bytes);
  return size - bytes.size();
}

bool SocketSink::send_file(int file_fd, off_t offset, std::size_t count) {
  // sendfile(2) has no MSG_DONTWAIT: on a blocking client socket (sync,
  // gthread while the app runs) the send timeout bounds each call instead.
  timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  for (;;) {
    switch (send_file_some(fd_, file_fd, offset, count)) {
      case SendStatus::Done: return true;
      case SendStatus::Failed: return false;
      case SendStatus::WouldBlock:
        if (!wait_(fd_, timeout_ms_)) return false;
    }
  }
}

}  // namespace gpp::workers
