#pragma once
// The response sink of every worker class: the app's thread sends straight to
// the client socket without waiting (MSG_DONTWAIT, sendfile(2) for
// wsgi.file_wrapper), and when the socket is full it waits with `wait`:
// poll() by default; the coro worker waits in gevent, so the other greenlets
// run meanwhile.
#include "python_shim/wsgi_app.hpp"
#include "workers/blocking_io.hpp"

namespace gpp::workers {

class SocketSink final : public py::ResponseSink {
 public:
  using Wait = WaitWritable;
  SocketSink(int fd, int timeout_ms, Wait wait = wait_writable) : fd_(fd), timeout_ms_(timeout_ms), wait_(wait) {}
  bool write(std::string_view bytes) override;
  std::size_t try_write(std::string_view bytes) override;
  /// wsgi.file_wrapper: the body never enters Python.
  bool send_file(int file_fd, off_t offset, std::size_t count) override;

 private:
  int fd_;
  int timeout_ms_;
  Wait wait_;
};

}  // namespace gpp::workers
