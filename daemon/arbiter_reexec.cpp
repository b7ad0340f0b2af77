// USR2 binary upgrade (gunicorn's reexec() and maybe_promote_master()): fork,
// pre_exec in the child, exec the same binary with the listeners inherited;
// the new master ("Master.2") takes over the pidfile once the old one is gone.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

#include "core/log/error_log.hpp"
#include "daemon/arbiter_impl.hpp"
#include "daemon/sd_notify.hpp"
#include "python_shim/hooks.hpp"
#include "python_shim/interpreter.hpp"
#include "python_shim/threads.hpp"

namespace gpp::daemon {
namespace asio = boost::asio;

namespace {

/// Socket-activated listeners can be handed on as LISTEN_FDS only while they
/// still sit at fds 3.. in order (a HUP that re-bound moves them).
bool listeners_at_sd_start(const std::vector<BoundListener>& listeners) {
  for (std::size_t i = 0; i < listeners.size(); ++i)
    if (listeners[i].fd.get() != static_cast<int>(3 + i)) return false;
  return !listeners.empty();
}

}  // namespace

void Arbiter::Impl::exec_new_master(pid_t old_master) {
  // Child of the fork: never returns.
  py::call_server_hook("pre_exec");
  EnvSnapshot env = setup.env_orig;
  for (const char* key : {"GUNICORN_PID", "GUNICORN_FD", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"})
    env.erase(key);
  env["GUNICORN_PID"] = std::to_string(old_master);
  std::string fds;
  for (auto& l : setup.listeners) {
    ::fcntl(l.fd.get(), F_SETFD, 0);  // inheritable
    fds += (fds.empty() ? "" : ",") + std::to_string(l.fd.get());
  }
  if (setup.socket_activated && listeners_at_sd_start(setup.listeners)) {
    env["LISTEN_PID"] = std::to_string(::getpid());
    env["LISTEN_FDS"] = std::to_string(setup.listeners.size());
    // The new master must see the same names (systemd's FileDescriptorName=).
    std::string names;
    bool named = false;
    for (std::size_t i = 0; i < setup.listen_fdnames.size(); ++i) {
      names += (i ? ":" : "") + setup.listen_fdnames[i];
      named = named || !setup.listen_fdnames[i].empty();
    }
    if (named && setup.listen_fdnames.size() == setup.listeners.size()) env["LISTEN_FDNAMES"] = names;
  } else {
    env["GUNICORN_FD"] = fds;
  }
  std::vector<std::string> entries;
  for (const auto& [k, v] : env) entries.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : entries) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = setup.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (!setup.start_cwd.empty() && ::chdir(setup.start_cwd.c_str()) != 0)
    core::log::warning("Re-exec: chdir " + setup.start_cwd + ": " + std::strerror(errno));
  // Our handlers die with exec anyway; a signal between unblocking and exec
  // must not run the arbiter's.
  for (int sig : {SIGHUP, SIGTTIN, SIGTTOU, SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD})
    ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (!argv.empty() && argv[0]) ::execvpe(argv[0], argv.data(), envp.data());
  core::log::error("Re-exec of " + (args.empty() ? std::string("?") : args[0]) + " failed: " +
                   std::strerror(errno));
  ::_exit(1);
}

void Arbiter::Impl::reexec() {
  pid_t self = ::getpid();
  publish_server();
  py::GilHold gil;  // fork with the GIL (PyOS_BeforeFork); the child keeps it for pre_exec
  sigset_t all, old;
  sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, &old);
  io.notify_fork(asio::io_context::fork_prepare);
  py::before_fork();
  pid_t pid = ::fork();
  if (pid == 0) {
    io.notify_fork(asio::io_context::fork_child);
    py::after_fork_child();
    exec_new_master(self);
  }
  io.notify_fork(asio::io_context::fork_parent);
  py::after_fork_parent();
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    core::log::error(std::string("Re-exec fork failed: ") + std::strerror(errno));
    return;
  }
  feed(ReexecStarted{pid});
}

void Arbiter::Impl::promote() {
  ::unsetenv("GUNICORN_PID");
  if (setup.pidfile.active()) {
    try {
      setup.pidfile.rename(cfg().get_string("pidfile"));
    } catch (const std::exception& e) {
      core::log::error(e.what());
    }
  }
  master_title();
  publish_server();
  sd_notify("MAINPID=" + std::to_string(::getpid()));
  start_watchdog(true);  // WATCHDOG_PID still names the old master
}

}  // namespace gpp::daemon
