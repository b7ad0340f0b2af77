#pragma once
#include "workers/worker.hpp"
#include "workers/worker_signals.hpp"

namespace gpp::py { class WsgiApp; }

namespace gpp::workers {

/// gunicorn's sync worker: one connection at a time, one request per
/// connection, `Connection: close`. Returns the exit status.
int run_sync_worker(WorkerContext& ctx, py::WsgiApp& app, WorkerFlags& flags, int wake_fd);

}  // namespace gpp::workers
