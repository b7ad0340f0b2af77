#pragma once
// What every worker class gets from the arbiter, and the entry point the
// arbiter calls in the forked child.
#include <sys/types.h>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/metrics/shm_layout.hpp"
#include "workers/heartbeat.hpp"

namespace gpp::py { class WsgiApp; }

namespace gpp::workers {

/// A listening socket inherited from the arbiter.
struct Listener {
  int fd = -1;
  bool unix_socket = false;
  std::string host;  ///< SERVER_NAME ("127.0.0.1", "::1"; unix: the path)
  std::string port;  ///< SERVER_PORT ("8000"; unix: "")
};

struct WorkerContext {
  int age = 0;
  pid_t ppid = 0;
  std::vector<Listener> listeners;
  const config::Config* cfg = nullptr;
  const Heartbeat* heartbeat = nullptr;
  py::WsgiApp* preloaded_app = nullptr;  ///< set with --preload
  std::string app_uri;
  /// This worker's slot in the metrics shared memory (--metrics-bind), or nullptr.
  core::metrics::WorkerSlot* metrics_slot = nullptr;
  int readiness_fd = -1;  ///< write end of the arbiter's readiness pipe (workers/readiness.hpp)
};

/// Gunicorn's exit statuses for a worker.
inline constexpr int kWorkerBootError = 3;
inline constexpr int kAppLoadError = 4;

/// Run the configured worker class in this (forked) process; returns its exit status.
int run_worker(WorkerContext& ctx);

/// Supported worker class names, for the error message on an unknown one.
[[nodiscard]] const std::vector<std::string>& supported_worker_classes();

}  // namespace gpp::workers
