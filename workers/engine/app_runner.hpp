#pragma once
// The seam between the connection engine and a worker class: the engine hands
// over one complete request (head and whole body already read by C++), the
// runner runs the app and writes the response, then reports it done. gthread
// runs requests on a pool of threads; the coro worker runs them on the I/O
// thread (greenlets). The engine never touches Python.
#include <cstddef>

#include "core/response_framer.hpp"
#include "python_shim/wsgi_app.hpp"

namespace gpp::workers::engine {

/// One request in flight. Owned by its connection until the runner calls
/// Engine::finished; nothing in it may be touched after that call.
struct Exchange {
  py::RequestContext request;   ///< head, body, peer, server: complete
  core::ResponseFramer framer;  ///< reset for this request; keep-alive already decided
  int fd = -1;                  ///< the client socket (O_NONBLOCK); the response goes here
  int io_timeout_ms = 30000;    ///< bound on each wait for the socket to take bytes
  py::CallResult result = py::CallResult::Ok;  ///< set by the runner
  void* owner = nullptr;        ///< engine-private
  void* runner_data = nullptr;  ///< the runner's own (coro: its request_timeout entry)
};

/// How a worker class runs the app.
class AppRunner {
 public:
  virtual ~AppRunner() = default;
  /// Run `ex` (called on the I/O thread; must not block). When the response is
  /// written, or has failed, call Engine::finished(ex) exactly once, from any
  /// thread. A result other than Ok closes the connection; for ErrorBeforeHead
  /// the runner has sent the 500 page itself.
  virtual void start(Exchange& ex) = 0;
  /// Called about once a second on the I/O thread (request deadlines).
  virtual void tick() {}
  /// Requests inside the app right now (any thread).
  [[nodiscard]] virtual std::size_t busy() const noexcept = 0;
  /// False stops the heartbeat (the arbiter's timeout then applies), e.g. the
  /// GIL has been held elsewhere for longer than `timeout` (I/O thread only).
  [[nodiscard]] virtual bool healthy() const noexcept { return true; }
};

}  // namespace gpp::workers::engine
