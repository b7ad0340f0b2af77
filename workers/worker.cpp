#include "workers/worker.hpp"

#include <unistd.h>

#include <csignal>

#include "core/log/error_log.hpp"
#include "python_shim/hooks.hpp"
#include "python_shim/wsgi_app.hpp"
#include "workers/coro_worker.hpp"
#include "workers/readiness.hpp"
#include "workers/reloader.hpp"
#include "workers/request_metrics.hpp"
#include "workers/sync_worker.hpp"
#include "workers/thread_worker.hpp"
#include "workers/worker_signals.hpp"

namespace gpp::workers {

const std::vector<std::string>& supported_worker_classes() {
  static const std::vector<std::string> names{"sync", "gthread", "coro"};
  return names;
}

int run_worker(WorkerContext& ctx) {
  // Signals first (as gunicorn's init_process): a TERM that arrives while the
  // app is importing must still stop this worker. The arbiter forked us with
  // every signal blocked; installing the handlers unblocks them.
  static WorkerFlags flags;  // static: handlers may still fire after we return
  request_metrics::attach(ctx.metrics_slot);
  int wake_fd = install_worker_signals(flags);
  set_readiness_fd(ctx.readiness_fd);
  py::hooks_bind_worker([] { return flags.alive.load(); }, [] { ::kill(::getpid(), SIGTERM); },
                        [&ctx] { ctx.heartbeat->notify(); });
  std::string klass = ctx.cfg->worker_class();
  // gunicorn's gevent worker patches before the app is imported.
  bool gevent = klass == "coro" && prepare_coro_worker();
  py::WsgiApp own_app;
  py::WsgiApp* app = ctx.preloaded_app;
  if (!app || !app->loaded()) {
    try {
      own_app = py::WsgiApp::load(ctx.app_uri);
    } catch (const py::AppLoadError& e) {
      // gunicorn prints the reason on stderr as well as logging it.
      std::string line = std::string(e.what()) + "\n";
      [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
      return e.exit_code;
    }
    app = &own_app;
  }
  if (!py::call_post_worker_init()) return kWorkerBootError;
  start_reloader(*ctx.cfg, flags);  // --reload: watch the imported modules
  // Surge-first: the arbiter retires the worker this one replaces only now.
  // The listeners are already open (inherited), so a connection the kernel
  // queues from here on is accepted as soon as the loop below starts.
  notify_ready();
  if (klass == "sync") return run_sync_worker(ctx, *app, flags, wake_fd);
  if (klass == "gthread") return run_thread_worker(ctx, *app, flags, wake_fd);
  if (klass == "coro") return run_coro_worker(ctx, *app, flags, wake_fd, gevent);
  core::log::error("Worker class '" + klass + "' is not available yet");
  return kWorkerBootError;
}

}  // namespace gpp::workers
