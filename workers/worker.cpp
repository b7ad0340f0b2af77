#include "workers/worker.hpp"

#include <unistd.h>

#include "core/log/error_log.hpp"
#include "python_shim/wsgi_app.hpp"
#include "workers/sync_worker.hpp"

namespace gpp::workers {

const std::vector<std::string>& supported_worker_classes() {
  static const std::vector<std::string> names{"sync"};
  return names;
}

int run_worker(WorkerContext& ctx) {
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
  if (klass == "sync") return run_sync_worker(ctx, *app);
  core::log::error("Worker class '" + klass + "' is not available yet");
  return kWorkerBootError;
}

}  // namespace gpp::workers
