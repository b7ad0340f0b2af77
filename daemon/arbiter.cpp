// The arbiter's Asio shell: signals and waitpid become Events, Actions are
// executed here. Spawning is in arbiter_spawn.cpp, HUP in arbiter_reload.cpp.
#include "daemon/arbiter.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "core/log/error_log.hpp"
#include "daemon/arbiter_impl.hpp"
#include "daemon/proc_title.hpp"
#include "python_shim/hooks.hpp"
#include "python_shim/interpreter.hpp"
#include "workers/access_log.hpp"

namespace gpp::daemon {

ArbiterSettings settings_from(const config::Config& cfg) {
  ArbiterSettings s;
  s.num_workers = static_cast<int>(cfg.get_int("workers"));
  s.timeout_s = cfg.get_double("timeout");
  s.graceful_timeout_s = cfg.get_double("graceful_timeout");
  s.daemon = cfg.get_bool("daemon");
  // gunicorn leaves unix socket files in place with reuse_port (each worker binds).
  s.unlink_listeners = !cfg.get_bool("reuse_port");
  return s;
}

Arbiter::Arbiter(ArbiterSetup setup) : impl_(std::make_unique<Impl>()) {
  impl_->setup = std::move(setup);
  impl_->state.settings = settings_from(impl_->setup.cfg);
  impl_->state.master_pid = impl_->setup.master_pid;
  if (impl_->state.master_pid != 0) impl_->state.master_name = "Master.2";
}

Arbiter::~Arbiter() = default;

void Arbiter::Impl::publish_server() {
  py::ServerView view;
  view.pid = ::getpid();
  view.num_workers = state.settings.num_workers;
  view.worker_age = state.worker_age;
  view.master_name = state.master_name;
  view.proc_name = cfg().proc_name();
  view.pidfile = setup.pidfile.active() ? setup.pidfile.path() : "";
  for (const auto& l : setup.listeners) view.listeners.emplace_back(l.url, l.fd.get());
  py::hooks_update_server(view);
}

void Arbiter::Impl::master_title() {
  set_proc_title("master [" + cfg().proc_name() + (state.master_pid != 0 ? ".2" : "") + "]");
}

void Arbiter::Impl::execute(std::vector<Action> actions) {
  for (auto& action : actions) {
    std::visit(
        [&](auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, Log>) {
            core::log::write(static_cast<core::log::Level>((static_cast<int>(a.level) + 1) * 10),
                             a.message);
          } else if constexpr (std::is_same_v<T, Spawn>) {
            spawn(a.age);
          } else if constexpr (std::is_same_v<T, Kill>) {
            metrics_killed(a.pid, a.signal);
            ::kill(a.pid, a.signal);
          } else if constexpr (std::is_same_v<T, ReloadConfig>) {
            reload();
          } else if constexpr (std::is_same_v<T, ReopenLogs>) {
            core::log::reopen();
          } else if constexpr (std::is_same_v<T, CloseListeners>) {
            close_listeners(setup.listeners, a.unlink);
          } else if constexpr (std::is_same_v<T, RemovePidfile>) {
            setup.pidfile.unlink();
          } else if constexpr (std::is_same_v<T, CallHook>) {
            publish_server();
            if (a.name == "child_exit") {
              py::hooks_child_exited(a.pid, true);
            } else if (a.name == "nworkers_changed") {
              py::call_nworkers_changed(a.new_value, a.old_value);
            } else {
              py::call_server_hook(a.name);
            }
          } else if constexpr (std::is_same_v<T, Exit>) {
            exit_code = a.code;
            io.stop();
          } else if constexpr (std::is_same_v<T, Reexec>) {
            reexec();
          } else if constexpr (std::is_same_v<T, Promote>) {
            promote();
          } else if constexpr (std::is_same_v<T, Notify>) {
            notify(a.state);
          }
        },
        action);
    if (exit_code) return;
  }
  // statsd gunicorn.workers gauge, whenever manage_workers logs a new count (gunicorn's log extra).
  static int reported_workers = -1;
  if (state.last_logged_worker_count >= 0 && state.last_logged_worker_count != reported_workers) {
    reported_workers = state.last_logged_worker_count;
    workers::report_worker_count(reported_workers);
  }
}

void Arbiter::Impl::reap() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    heartbeats.erase(pid);
    ChildExited ev{pid};
    ev.status = status;
    if (WIFEXITED(status)) ev.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) ev.term_signal = WTERMSIG(status);
    else continue;
    metrics_reaped(ev);  // reads state.workers[pid], which feed() erases
    feed(ev);
    py::hooks_child_exited(pid, false);  // gone from server.WORKERS, hook or not
    if (exit_code) return;
  }
}

void Arbiter::Impl::on_signal(int sig) {
  switch (sig) {
    case SIGCHLD: reap(); return;
    case SIGHUP: feed(SignalEvent{Sig::HUP}); return;
    case SIGTTIN: feed(SignalEvent{Sig::TTIN}); return;
    case SIGTTOU:
      retire_context = core::metrics::ExitReason::ScaleDown;
      feed(SignalEvent{Sig::TTOU});
      retire_context = core::metrics::ExitReason::Reload;
      return;
    case SIGTERM: feed(SignalEvent{Sig::TERM}); return;
    case SIGINT: feed(SignalEvent{Sig::INT}); return;
    case SIGQUIT: feed(SignalEvent{Sig::QUIT}); return;
    case SIGUSR1: feed(SignalEvent{Sig::USR1}); return;
    case SIGUSR2: feed(SignalEvent{Sig::USR2}); return;
    case SIGWINCH: feed(SignalEvent{Sig::WINCH}); return;
    default: return;
  }
}

void Arbiter::Impl::arm_signals() {
  signals.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    on_signal(sig);
    if (!exit_code) arm_signals();
  });
}

void Arbiter::Impl::arm_timer() {
  timer.expires_after(std::chrono::seconds(1));
  timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    reap();  // a SIGCHLD coalesced with another is still reaped within a tick
    if (exit_code) return;
    metrics_tick();
    Tick tick;
    tick.ppid = ::getppid();
    for (const auto& [pid, hb] : heartbeats) tick.idle_s[pid] = hb.idle_seconds();
    feed(tick);
    if (!exit_code) arm_timer();
  });
}

int Arbiter::run() {
  Impl& im = *impl_;
  ::signal(SIGPIPE, SIG_IGN);
  for (int sig : {SIGHUP, SIGTTIN, SIGTTOU, SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD})
    im.signals.add(sig);
  im.master_title();
  im.open_readiness();
  im.start_watchdog(false);
  im.arm_signals();
  im.arm_timer();
  if (!im.metrics_start()) im.exit_code = 1;
  if (!im.exit_code) im.execute(start(im.state, Clock::now()));
  if (!im.exit_code) {
    // Python threads a hook started in the master (a metrics exporter in
    // when_ready, ...) run while the arbiter waits; hooks take the GIL back.
    py::GilRelease nogil;
    im.io.run();
  }
  close_listeners(im.setup.listeners, unlink_on_stop(im.state));
  im.setup.pidfile.unlink();
  return im.exit_code.value_or(0);
}

}  // namespace gpp::daemon
