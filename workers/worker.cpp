#include "workers/worker.hpp"

#include <unistd.h>

#include "core/log/error_log.hpp"
#include "python_shim/wsgi_app.hpp"
#include "workers/sync_worker.hpp"
#include "workers/worker_signals.hpp"

namespace gpp::workers {

const std::vector<std::string>& supported_worker_classes() {
  static const std::vector<std::string> names{"sync"};
  return names;
}

int run_worker(WorkerContext& ctx) {
  // Signals first (as gunicorn's init_process): a TERM that arrives while the
  // app is importing must still stop this worker. The arbiter forked us with
  // every signal blocked; installing the handlers unblocks them.
  WorkerFlags flags;
  int wake_fd = install_worker_signals(flags);
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
  std::string klass = ctx.cfg->worker_class();
  if (klass == "sync") return run_sync_worker(ctx, *app, flags, wake_fd);
  core::log::error("Worker class '" + klass + "' is not available yet");
  return kWorkerBootError;
}

}  // namespace gpp::workers
