#pragma once
// The shared Asio connection engine (DESIGN.md "Worker classes"): one I/O
// thread owns accept, reads, parsing, body buffering, 100-continue, error
// pages, keep-alive (with the `keepalive` idle timeout), pipelining,
// worker_connections back-pressure, signals, heartbeat and graceful drain.
// Each connection is a C++20 coroutine; an idle keep-alive connection holds
// no read buffer (a few hundred bytes of state). Complete requests go to an
// AppRunner. The I/O thread never holds the GIL.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "workers/engine/app_runner.hpp"
#include "workers/worker.hpp"
#include "workers/worker_signals.hpp"

namespace gpp::workers::engine {

struct EngineOptions {
  bool multithread = false;  ///< wsgi.multithread
  /// Keep-alive connections beyond this many idle ones get Connection: close
  /// (gunicorn's worker_connections - threads).
  std::size_t max_keepalived = 0;
  /// gunicorn.socket is a gevent socket (coro with gevent): client fds stay
  /// non-blocking. Otherwise they are made blocking before the first request
  /// goes to the app, as gunicorn's gthread sockets while the app runs (the
  /// engine's own reads and writes pass MSG_DONTWAIT, so the fd's mode is
  /// the app's business).
  bool cooperative_socket = false;
};

struct EngineState;  // engine_state.hpp

class Engine {
 public:
  /// Reads the settings (keepalive, worker_connections, timeout, graceful_timeout,
  /// max_requests, proxy_protocol ...) from ctx.cfg. Call after the app loaded.
  Engine(WorkerContext& ctx, WorkerFlags& flags, int wake_fd, const EngineOptions& opts);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Serve until stopped (TERM, QUIT/INT, max_requests, recycle(), parent gone)
  /// and drained (or graceful_timeout passed). Returns how many requests were
  /// still inside the app when it gave up waiting (0 after a clean drain).
  std::size_t run(AppRunner& runner);

  /// For a worker whose own event loop drives the engine (coro: gevent's hub),
  /// instead of run(): start() once, then call poll() whenever reactor_fd() is
  /// readable, and after any post made outside poll() (Engine::finished from a
  /// greenlet, recycle()): Asio does not wake its reactor fd for those. poll()
  /// runs the ready handlers without blocking and returns true once the engine
  /// has stopped (same conditions as run()). Never mix with run().
  void start(AppRunner& runner);
  /// Runs at most `max_handlers` ready handlers; `more` says the budget ran
  /// out (call again soon: the rest is queued inside Asio, where reactor_fd()
  /// does not show it).
  bool poll(std::size_t max_handlers, bool& more);
  /// Asio's epoll fd (readable when a socket, timer or post is ready). Valid
  /// after construction (engine/external_loop.cpp).
  [[nodiscard]] int reactor_fd();
  /// On the driving loop's thread, inside poll() or not: run `fn` from a
  /// poll() once `delay` has passed (an Asio timer, so the reactor's timerfd
  /// with nanosecond precision). The returned function cancels it; `fn` is
  /// destroyed unrun then, or after it ran.
  std::function<void()> call_after(std::chrono::nanoseconds delay, std::function<void()> fn);

  /// The runner is done with `ex` (thread-safe; see AppRunner::start).
  void finished(Exchange& ex);
  /// Stop gracefully: no more accepts, idle connections closed, requests in
  /// flight finish (with Connection: close). Thread-safe.
  void recycle();

 private:
  std::unique_ptr<EngineState> state_;
};

/// Raise RLIMIT_NOFILE's soft limit to the hard limit (many connections need fds).
void raise_fd_limit() noexcept;

}  // namespace gpp::workers::engine
