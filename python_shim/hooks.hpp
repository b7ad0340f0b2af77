#pragma once
// Server hooks from gunicorn.conf.py (gunicorn's Server Hooks settings),
// called where and with the arguments gunicorn uses. Plain C++ API: the
// `server`, `worker`, `req` and `resp` objects live in python_shim/hooks.py.
//
// Every function takes the GIL itself and is a cheap no-op when the config
// file did not define the hook. Exceptions raised by a hook are logged with
// their traceback ("Exception in <name> hook") and never reach the caller,
// except for the worker boot hooks (post_fork, post_worker_init), whose
// failure makes the worker exit 3 as in gunicorn.
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace gpp::py {

/// What the arbiter tells hooks about itself (`server.*`).
struct ServerView {
  pid_t pid = 0;
  int num_workers = 0;
  int worker_age = 0;
  std::string master_name = "Master";
  std::string proc_name;
  std::string pidfile;                 ///< "" = none
  /// server.LISTENERS: ("http://127.0.0.1:8000" or "unix:/path", fd).
  std::vector<std::pair<std::string, int>> listeners;
};

/// Publish the configuration hooks see as `server.cfg` / `worker.cfg` and the
/// hook callables the config file defined. Call at start and after each reload.
void hooks_configure(const config::Config& cfg);
/// Refresh `server.*` before master-side hooks run.
void hooks_update_server(const ServerView& view);

/// True when the config file defined this hook.
[[nodiscard]] bool hook_defined(const std::string& name);

// ---- master side ----
/// on_starting, when_ready, on_reload, on_exit, pre_exec: hook(server).
void call_server_hook(const std::string& name);
/// nworkers_changed(server, new_value, old_value); nullopt = None (at start).
void call_nworkers_changed(int new_value, std::optional<int> old_value);
/// Create the Worker object for `age` and call pre_fork(server, worker).
void hooks_pre_fork(int age);
/// After fork() in the arbiter: the worker object joins server.WORKERS.
void hooks_forked_parent(int age, pid_t pid);
/// fork() failed: forget the worker object.
void hooks_fork_failed(int age);
/// A worker was reaped: child_exit(server, worker), and it leaves server.WORKERS.
/// `call_hook` false (boot errors that halt the server) only drops it.
void hooks_child_exited(pid_t pid, bool call_hook);

// ---- worker side (in the forked process) ----
/// After fork() in the child: this process's worker object gets its pid.
void hooks_forked_child(int age, pid_t pid);
/// Wire `worker.alive` (read and `= False`) and `worker.notify()` to the worker's flags.
void hooks_bind_worker(std::function<bool()> alive, std::function<void()> stop,
                       std::function<void()> notify);
/// post_fork(server, worker). False when it raised (logged as gunicorn's
/// "Exception in worker process"; the worker must exit 3).
[[nodiscard]] bool call_post_fork();
/// post_worker_init(worker); marks the worker booted. False when it raised.
[[nodiscard]] bool call_post_worker_init();
/// worker_int(worker) (QUIT/INT), worker_abort(worker) (ABRT).
void call_worker_hook(const std::string& name);
/// worker_exit(server, worker); an exception is logged as gunicorn's
/// "Exception during worker exit" warning.
void call_worker_exit();
/// The Python stacks of every thread but the caller's, main thread first
/// ("" when unavailable); for the log of a worker killed by the arbiter's
/// timeout. GIL taken here.
[[nodiscard]] std::string main_thread_stack();
/// Async-signal-safe, no GIL needed: write every Python thread's stack to
/// `fd` the way faulthandler does (CPython's _Py_DumpTracebackThreads), so it
/// works while the app is stuck in C code that holds the GIL. Best effort:
/// it reads the thread states without a lock, as faulthandler.
void dump_thread_stacks_signal_safe(int fd) noexcept;
/// True when pre_request or post_request is defined (WsgiApp::call builds a
/// request object only then).
[[nodiscard]] bool request_hooks_defined() noexcept;

/// --reload: source files of the imported modules plus `extra` (globs expanded).
[[nodiscard]] std::vector<std::string> reload_watch_files(const std::vector<std::string>& extra);

}  // namespace gpp::py
