#pragma once
// gunicorn's gthread worker (-k gthread, or -k sync with --threads > 1): the
// shared connection engine on one I/O thread, and a pool of `threads` Python
// threads that run complete requests and write their responses.
#include "workers/worker.hpp"
#include "workers/worker_signals.hpp"

namespace gpp::py { class WsgiApp; }

namespace gpp::workers {

/// Serve until stopped; returns the worker's exit status.
int run_thread_worker(WorkerContext& ctx, py::WsgiApp& app, WorkerFlags& flags, int wake_fd);

}  // namespace gpp::workers
