#pragma once
// --reload (gunicorn's reloader.py, run inside each worker): a thread watches
// the source files of every imported module and reload_extra_files — with
// inotify (reload_engine auto/inotify) or by polling mtimes once a second
// (poll). On a change it logs "Worker reloading: FILE modified", runs the
// worker_int hook and stops the worker (it finishes the request in progress);
// the arbiter starts a fresh one, which imports the new code.
#include "config/config.hpp"
#include "workers/worker_signals.hpp"

namespace gpp::workers {

/// Start the watcher thread when `reload` is on (no-op otherwise).
void start_reloader(const config::Config& cfg, WorkerFlags& flags);

}  // namespace gpp::workers
