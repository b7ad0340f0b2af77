// Forking a worker (gunicorn's spawn_worker): pre_fork in the arbiter, then in
// the child: process title, "Booting worker", reuse_port listeners, post_fork,
// privileges, parent-death signal, and the worker class.
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "core/log/error_log.hpp"
#include "daemon/arbiter_impl.hpp"
#include "daemon/proc_title.hpp"
#include "python_shim/hooks.hpp"
#include "python_shim/interpreter.hpp"
#include "python_shim/threads.hpp"
#include "workers/worker.hpp"
#include "workers/worker_signals.hpp"

namespace gpp::daemon {
namespace asio = boost::asio;

namespace {

/// gunicorn's WorkerTmp: the heartbeat file, created under `umask`, owned by
/// the user the worker will run as.
workers::Heartbeat make_heartbeat(const config::Config& cfg) {
  mode_t old = ::umask(static_cast<mode_t>(cfg.get_int("umask")));
  workers::Heartbeat hb;
  try {
    hb = workers::Heartbeat::create(cfg.get_string("worker_tmp_dir"));
  } catch (...) {
    ::umask(old);
    throw;
  }
  ::umask(old);
  auto uid = static_cast<uid_t>(cfg.get_int("user"));
  auto gid = static_cast<gid_t>(cfg.get_int("group"));
  if (uid != ::geteuid() || gid != ::getegid()) hb.chown(uid, gid);
  return hb;
}

}  // namespace

void Arbiter::Impl::run_child(int age) {
  // Child: never returns into the arbiter's loop.
  pid_t self = ::getpid();
  set_proc_title("worker [" + cfg().proc_name() + "]");
  core::log::info("Booting worker with pid: " + std::to_string(self));
  workers::WorkerContext ctx;
  ctx.age = age;
  ctx.ppid = ::getppid();
  std::vector<BoundListener> own;  // reuse_port: this worker's listeners
  try {
    if (cfg().get_bool("reuse_port")) {
      own = bind_listeners(cfg().get_list("bind"), static_cast<int>(cfg().get_int("backlog")), true,
                           static_cast<int>(cfg().get_int("umask")));
      for (const auto& l : own) ctx.listeners.push_back(l.info);
    } else {
      for (const auto& l : setup.listeners) ctx.listeners.push_back(l.info);
    }
  } catch (const std::exception& e) {
    core::log::error(std::string("Exception in worker process\n") + e.what());
    workers::exit_worker(workers::kWorkerBootError);
  }
  py::hooks_forked_child(age, self);
  if (!py::call_post_fork()) workers::exit_worker(workers::kWorkerBootError);
  try {
    set_owner_process(static_cast<uid_t>(cfg().get_int("user")), static_cast<gid_t>(cfg().get_int("group")),
                      cfg().get_bool("initgroups"));
  } catch (const std::exception& e) {
    core::log::error(std::string("Exception in worker process\n") + e.what());
    workers::exit_worker(workers::kWorkerBootError);
  }
  // An orphan notices at once (the loops also compare getppid() with ppid).
  // Set after the uid change, which clears it.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  ctx.cfg = &cfg();
  ctx.heartbeat = &heartbeats.at(self);
  ctx.preloaded_app = setup.preloaded_app;
  ctx.app_uri = cfg().app_uri.value_or("");
  metrics_in_child(ctx);
  ctx.readiness_fd = readiness_write.get();
  int code = workers::run_worker(ctx);
  workers::exit_worker(code);
}

void Arbiter::Impl::spawn(int age) {
  workers::Heartbeat hb;
  try {
    hb = make_heartbeat(cfg());
  } catch (const std::exception& e) {
    core::log::error(std::string("Unable to create the worker heartbeat file: ") + e.what());
    feed(SpawnFailed{age});
    return;
  }
  publish_server();
  metrics_before_spawn();
  py::hooks_pre_fork(age);
  py::GilHold gil;  // fork with the GIL (PyOS_BeforeFork); the child keeps it
  // The child starts with every signal blocked until it has its own handlers;
  // otherwise a signal could land in the arbiter's handler inherited by the child.
  sigset_t all, old;
  sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, &old);
  io.notify_fork(asio::io_context::fork_prepare);
  py::before_fork();
  pid_t pid = ::fork();
  if (pid == 0) {
    io.notify_fork(asio::io_context::fork_child);
    py::after_fork_child();
    // Siblings' heartbeat files are not ours to keep open.
    for (auto& [other, sibling] : heartbeats) sibling.close();
    heartbeats.clear();
    heartbeats.emplace(::getpid(), std::move(hb));
    if (metrics_server) metrics_server->close_fds_after_fork();  // not the worker's to keep
    run_child(age);
  }
  io.notify_fork(asio::io_context::fork_parent);
  py::after_fork_parent();
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  metrics_after_spawn(pid);
  if (pid < 0) {
    core::log::error(std::string("fork failed: ") + std::strerror(errno));
    py::hooks_fork_failed(age);
    feed(SpawnFailed{age});
    return;
  }
  heartbeats.emplace(pid, std::move(hb));
  py::hooks_forked_parent(age, pid);
  feed(Spawned{pid, age});
}

}  // namespace gpp::daemon
