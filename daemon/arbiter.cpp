#include "daemon/arbiter.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "core/log/error_log.hpp"
#include "python_shim/interpreter.hpp"
#include "workers/asio.hpp"
#include "workers/worker.hpp"

namespace gpp::daemon {
namespace asio = boost::asio;

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

struct Arbiter::Impl {
  config::Config cfg;
  std::vector<BoundListener> listeners;
  std::function<config::Config()> reload;
  py::WsgiApp* preloaded_app;
  asio::io_context io;
  asio::signal_set signals{io};
  asio::steady_timer timer{io};
  ArbiterState state;
  std::map<pid_t, workers::Heartbeat> heartbeats;
  std::optional<int> exit_code;

  void execute(std::vector<Action> actions);
  void feed(const Event& ev) { execute(step(state, ev, Clock::now())); }
  void spawn(int age);
  void reap();
  void on_signal(int sig);
  void arm_signals();
  void arm_timer();
  [[noreturn]] void run_child(int age);
};

Arbiter::Arbiter(config::Config cfg, std::vector<BoundListener> listeners,
                 std::function<config::Config()> reload, py::WsgiApp* preloaded_app)
    : impl_(std::make_unique<Impl>()) {
  impl_->cfg = std::move(cfg);
  impl_->listeners = std::move(listeners);
  impl_->reload = std::move(reload);
  impl_->preloaded_app = preloaded_app;
  impl_->state.settings = settings_from(impl_->cfg);
}

Arbiter::~Arbiter() = default;

void Arbiter::Impl::run_child(int age) {
  // Child: never returns into the arbiter's loop.
  pid_t self = ::getpid();
  core::log::info("Booting worker with pid: " + std::to_string(self));
  workers::WorkerContext ctx;
  ctx.age = age;
  ctx.ppid = ::getppid();
  for (const auto& l : listeners) ctx.listeners.push_back(l.info);
  ctx.cfg = &cfg;
  ctx.heartbeat = &heartbeats.at(self);
  ctx.preloaded_app = preloaded_app;
  ctx.app_uri = cfg.app_uri.value_or("");
  int code = workers::run_worker(ctx);
  core::log::info("Worker exiting (pid: " + std::to_string(self) + ")");
  py::run_exit_handlers();
  ::_exit(code);
}

void Arbiter::Impl::spawn(int age) {
  workers::Heartbeat hb;
  try {
    hb = workers::Heartbeat::create(cfg.get_string("worker_tmp_dir"));
  } catch (const std::exception& e) {
    core::log::error(std::string("Unable to create the worker heartbeat file: ") + e.what());
    feed(SpawnFailed{age});
    return;
  }
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
    run_child(age);
  }
  io.notify_fork(asio::io_context::fork_parent);
  py::after_fork_parent();
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    core::log::error(std::string("fork failed: ") + std::strerror(errno));
    feed(SpawnFailed{age});
    return;
  }
  heartbeats.emplace(pid, std::move(hb));
  feed(Spawned{pid, age});
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
            ::kill(a.pid, a.signal);
          } else if constexpr (std::is_same_v<T, ReloadConfig>) {
            try {
              config::Config fresh = reload();
              cfg = std::move(fresh);
              feed(ReloadDone{true, settings_from(cfg)});
            } catch (const std::exception& e) {
              core::log::error(e.what());  // the state machine logs that the old config stays
              feed(ReloadDone{false, state.settings});
            }
          } else if constexpr (std::is_same_v<T, ReopenLogs>) {
            core::log::reopen();
          } else if constexpr (std::is_same_v<T, CloseListeners>) {
            close_listeners(listeners, a.unlink);
          } else if constexpr (std::is_same_v<T, CallHook>) {
            // Server hooks come with the arbiter issue; nothing to call yet.
          } else if constexpr (std::is_same_v<T, Exit>) {
            exit_code = a.code;
            io.stop();
          }
        },
        action);
    if (exit_code) return;
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
    feed(ev);
    if (exit_code) return;
  }
}

void Arbiter::Impl::on_signal(int sig) {
  switch (sig) {
    case SIGCHLD: reap(); return;
    case SIGHUP: feed(SignalEvent{Sig::HUP}); return;
    case SIGTTIN: feed(SignalEvent{Sig::TTIN}); return;
    case SIGTTOU: feed(SignalEvent{Sig::TTOU}); return;
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
    Tick tick;
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
  im.arm_signals();
  im.arm_timer();
  im.execute(start(im.state, Clock::now()));
  if (!im.exit_code) im.io.run();
  close_listeners(im.listeners, true);
  return im.exit_code.value_or(0);
}

}  // namespace gpp::daemon
