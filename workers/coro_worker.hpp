#pragma once
// The coro worker (-k coro; -k gevent, gevent_wsgi, gevent_pywsgi select it):
// the shared connection engine and the app on one thread. With gevent
// importable, gevent's hub drives the engine and each request runs in its own
// greenlet (an app blocked in patched I/O yields to the others); without it,
// requests run one after another on the I/O thread.
#include "workers/worker.hpp"
#include "workers/worker_signals.hpp"

namespace gpp::py { class WsgiApp; }

namespace gpp::workers {

/// Call before the app is imported: monkey-patches with gevent when it is
/// importable (gunicorn's GeventWorker.patch), else warns. Returns whether
/// gevent is in use.
bool prepare_coro_worker();

/// Serve until stopped; returns the worker's exit status.
int run_coro_worker(WorkerContext& ctx, py::WsgiApp& app, WorkerFlags& flags, int wake_fd, bool gevent);

}  // namespace gpp::workers
