#include "workers/coro_worker.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "core/http/response.hpp"
#include "core/log/error_log.hpp"
#include "python_shim/gevent_hub.hpp"
#include "python_shim/interpreter.hpp"
#include "python_shim/threads.hpp"
#include "python_shim/wsgi_app.hpp"
#include "workers/access_log.hpp"
#include "workers/socket_sink.hpp"
#include "workers/engine/engine.hpp"
#include "workers/request_watchdog.hpp"

namespace gpp::workers {
namespace {

using Clock = std::chrono::steady_clock;

class CoroRunner final : public engine::AppRunner {
 public:
  CoroRunner(py::WsgiApp& app, engine::Engine& eng) : app_(app), engine_(eng) {}

  /// With a hub, each request gets a greenlet; without, it runs right here.
  void set_hub(py::GeventHub* hub) noexcept { hub_ = hub; }
  /// request_timeout: each request is registered with the watchdog.
  void set_watchdog(RequestWatchdog* w) noexcept { watchdog_ = w; }

  void start(engine::Exchange& ex) override {
    ++busy_;
    void* greenlet = hub_ ? hub_->spawn(&ex, watchdog_ != nullptr) : nullptr;
    if (watchdog_) {
      std::string what(ex.request.head->method);
      what += ' ';
      what.append(ex.request.head->target);
      ex.runner_data = watchdog_->begin(std::move(what), greenlet);
    }
    if (!hub_) run(ex);
  }

  [[nodiscard]] std::size_t busy() const noexcept override { return busy_; }

  /// One request, start to finish (in its greenlet, or inline).
  void run(engine::Exchange& ex) {
    auto start = Clock::now();
    // With gevent a full socket is waited for in the hub (the other requests
    // go on); without, in poll().
    SocketSink sink(ex.fd, ex.io_timeout_ms, hub_ ? py::GeventHub::wait_writable : wait_writable);
    finish(ex, app_.call(ex.request, ex.framer, sink), sink, start);
  }

 private:
  void finish(engine::Exchange& ex, py::CallResult result, py::ResponseSink& sink, Clock::time_point start) {
    ex.result = result;
    bool failed = result == py::CallResult::ErrorBeforeHead;
    log_access({.request = &ex.request, .response = &ex.framer,
                .error_status = failed ? "500 Internal Server Error" : "", .start = start});
    if (failed) sink.write(core::http::error_response(500, "Internal Server Error", ""));
    if (watchdog_) {
      auto* entry = static_cast<RequestWatchdog::Entry*>(std::exchange(ex.runner_data, nullptr));
      py::GeventHub::release(watchdog_->end(entry));  // GIL held in a greenlet; nullptr inline
    }
    --busy_;
    engine_.finished(ex);
    // finished() posts from outside the engine's poll(): Asio does not wake
    // its reactor fd for that (coro-notes pitfall 1).
    if (hub_) hub_->wake();
  }

  py::WsgiApp& app_;
  engine::Engine& engine_;
  py::GeventHub* hub_ = nullptr;
  RequestWatchdog* watchdog_ = nullptr;
  std::size_t busy_ = 0;  ///< one thread: no atomics
};

/// request_timeout > 0: the watchdog thread (workers/request_watchdog.hpp).
std::unique_ptr<RequestWatchdog> make_watchdog(const config::Config& cfg, engine::Engine& eng, WorkerFlags& flags) {
  double limit = cfg.get_double("request_timeout");
  if (limit <= 0) return nullptr;
  unsigned long loop_thread = py::current_thread_ident();
  RequestWatchdog::Hooks hooks;
  hooks.stack = [loop_thread](void* greenlet) { return py::GeventHub::greenlet_stack(greenlet, loop_thread); };
  hooks.recycle = [&eng] { eng.recycle(); };
  hooks.give_up = [&flags](std::size_t running) {
    // The loop thread is stuck (a CPU loop or a C call): it can neither drain
    // nor exit, so this thread ends the worker; the arbiter starts another.
    if (!flags.quick_exit)
      core::log::warning("Worker exiting with " + std::to_string(running) +
                         " request(s) still running after graceful_timeout");
    exit_worker(0);
  };
  return std::make_unique<RequestWatchdog>(limit, cfg.get_double("graceful_timeout"), std::move(hooks));
}

}  // namespace

bool prepare_coro_worker() {
  std::string why = py::gevent_patch_all();
  if (why.empty()) return true;
  core::log::warning("coro worker: gevent is not importable (" + why +
                     "); requests will run one after another. Install gevent for concurrency.");
  return false;
}

int run_coro_worker(WorkerContext& ctx, py::WsgiApp& app, WorkerFlags& flags, int wake_fd, bool gevent) {
  engine::raise_fd_limit();
  const config::Config& cfg = *ctx.cfg;
  auto connections = static_cast<std::size_t>(std::max<long>(1, cfg.get_int("worker_connections")));
  engine::EngineOptions opts;
  opts.multithread = gevent;  // greenlets are threads to the app (threading is patched)
  opts.cooperative_socket = gevent;
  opts.max_keepalived = connections;  // gunicorn's gevent worker: only worker_connections bounds them

  if (!gevent) {
    py::GilRelease nogil;  // WsgiApp::call takes the GIL per request
    engine::Engine eng(ctx, flags, wake_fd, opts);
    CoroRunner runner(app, eng);
    auto watchdog = make_watchdog(cfg, eng, flags);
    runner.set_watchdog(watchdog.get());
    if (eng.run(runner) != 0) watchdog.release();  // a request still points into it
    return 0;
  }

  // The hub and its greenlets run with the GIL held; the engine never touches
  // Python. Both are leaked when a request outlives the drain: its greenlet
  // still points into them while the process exits.
  auto* eng = new engine::Engine(ctx, flags, wake_fd, opts);
  auto* runner = new CoroRunner(app, *eng);
  py::HubLoop loop;
  loop.reactor_fd = eng->reactor_fd();
  loop.poll = [eng](std::size_t max_handlers, bool& more) { return eng->poll(max_handlers, more); };
  loop.run_request = [runner](void* ex) { runner->run(*static_cast<engine::Exchange*>(ex)); };
  loop.call_after = [eng](std::chrono::nanoseconds delay, std::function<void()> fn) {
    return eng->call_after(delay, std::move(fn));
  };
  auto* hub = new py::GeventHub(std::move(loop));
  runner->set_hub(hub);
  auto watchdog = make_watchdog(cfg, *eng, flags);
  runner->set_watchdog(watchdog.get());
  eng->start(*runner);
  hub->run();
  std::size_t still_running = runner->busy();
  if (still_running == 0) {
    {
      py::GilRelease nogil;  // its give_up may be taking the GIL
      watchdog.reset();
    }
    delete hub;
    delete runner;
    delete eng;
    return 0;
  }
  watchdog.release();  // leaked with the rest: the stuck greenlet points into it
  if (!flags.quick_exit)
    core::log::warning("Worker exiting with " + std::to_string(still_running) +
                       " request(s) still running after graceful_timeout");
  return 0;
}

}  // namespace gpp::workers
