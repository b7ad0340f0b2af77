// The arbiter state machine's signal handlers and reload (gunicorn 26.1's
// handle_<name> methods, reload() and the signal loop inside stop()).
#include <csignal>

#include "daemon/arbiter_state.hpp"

namespace gpp::daemon {
namespace {

using detail::Actions;

void log(Actions& out, LogLevel level, std::string message) {
  detail::emit(out, Log{level, std::move(message)});
}

/// gunicorn's SIG_NAMES: the name without "SIG", lowercase.
const char* lower_name(Sig sig) {
  switch (sig) {
    case Sig::HUP: return "hup";
    case Sig::TTIN: return "ttin";
    case Sig::TTOU: return "ttou";
    case Sig::TERM: return "term";
    case Sig::INT: return "int";
    case Sig::QUIT: return "quit";
    case Sig::USR1: return "usr1";
    case Sig::USR2: return "usr2";
    case Sig::WINCH: return "winch";
  }
  return "unknown";
}

/// stop()'s wait loop: only INT/QUIT matter, and only during a graceful stop,
/// where they escalate to a quick shutdown. Everything else is dropped, as
/// gunicorn drains and discards it.
void on_signal_stopping(ArbiterState& state, Sig sig, TimePoint now, Actions& out) {
  if ((sig != Sig::INT && sig != Sig::QUIT) || !state.graceful_stop) return;
  log(out, LogLevel::Info, "Quick shutdown requested");
  state.graceful_stop = false;
  detail::kill_workers(state, SIGQUIT, out);
  state.stop_deadline = now + kQuickShutdownWait;
  detail::finish_if_done(state, now, out);
}

void on_signal_running(ArbiterState& state, Sig sig, TimePoint now, Actions& out) {
  log(out, LogLevel::Info, std::string("Handling signal: ") + lower_name(sig));
  switch (sig) {
    case Sig::HUP:
      log(out, LogLevel::Info, "Hang up: " + state.master_name);
      // systemd: RELOADING now, READY=1 again once the new generation is ready.
      state.announced_ready = false;
      state.reload_pending = true;
      detail::emit(out, Notify{"RELOADING=1"});
      detail::emit(out, ReloadConfig{});
      break;
    case Sig::TERM:
      detail::begin_stop(state, true, now, out);
      break;
    case Sig::INT:
    case Sig::QUIT:
      detail::begin_stop(state, false, now, out);
      break;
    case Sig::TTIN:
      detail::set_num_workers(state, state.settings.num_workers + 1, out);
      break;
    case Sig::TTOU:
      if (state.settings.num_workers > 1) {  // never below one worker
        detail::set_num_workers(state, state.settings.num_workers - 1, out);
      }
      break;
    case Sig::USR1:
      detail::emit(out, ReopenLogs{});
      detail::kill_workers(state, SIGUSR1, out);
      break;
    case Sig::USR2:
      // gunicorn's reexec(): one new master at a time, and not from an unpromoted one.
      if (state.reexec_pid != 0) {
        log(out, LogLevel::Warning, "USR2 signal ignored. Child exists.");
      } else if (state.master_pid != 0) {
        log(out, LogLevel::Warning, "USR2 signal ignored. Parent exists.");
      } else {
        detail::emit(out, Reexec{});
      }
      break;
    case Sig::WINCH:
      if (state.settings.daemon) {
        log(out, LogLevel::Info, "graceful stop of workers");
        detail::set_num_workers(state, 0, out);
        detail::kill_workers(state, SIGTERM, out);
      } else {
        log(out, LogLevel::Debug, "SIGWINCH ignored. Not daemonized");
      }
      break;
  }
  // The main loop runs manage_workers after every batch of signals.
  if (state.phase == Phase::Running) detail::manage_workers(state, out);
}

}  // namespace

namespace detail {

void on_signal(ArbiterState& state, Sig sig, TimePoint now, Actions& out) {
  if (state.phase == Phase::Running) {
    on_signal_running(state, sig, now, out);
  } else if (state.phase == Phase::Stopping) {
    on_signal_stopping(state, sig, now, out);
  }
}

void on_reload_done(ArbiterState& state, const ReloadDone& done, Actions& out) {
  state.reload_pending = false;
  if (!done.ok) {
    // gunicorn would die here (unhandled exception in the main loop); we keep
    // serving with the old configuration and workers, as nginx does.
    log(out, LogLevel::Error, "reloading the configuration failed, keeping the previous one");
    detail::notify_readiness(state, out);  // READY=1 again: the old workers serve on
    return;
  }
  const int old_workers = state.settings.num_workers;
  state.settings = done.settings;
  // setup() assigns num_workers unconditionally, so the hook fires on every reload.
  detail::emit(out, CallHook{"nworkers_changed", 0, state.settings.num_workers, old_workers});
  detail::emit(out, CallHook{"on_reload"});
  // A whole new generation; manage_workers then retires the oldest surplus.
  for (int i = 0; i < state.settings.num_workers; ++i) {
    detail::emit(out, Spawn{++state.worker_age});
    ++state.pending_spawns;
  }
  manage_workers(state, out);
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGUSR1: return "SIGUSR1";
    case SIGSEGV: return "SIGSEGV";
    case SIGUSR2: return "SIGUSR2";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
#ifdef SIGSTKFLT
    case SIGSTKFLT: return "SIGSTKFLT";
#endif
    case SIGCHLD: return "SIGCHLD";
    case SIGCONT: return "SIGCONT";
    case SIGSTOP: return "SIGSTOP";
    case SIGTSTP: return "SIGTSTP";
    case SIGTTIN: return "SIGTTIN";
    case SIGTTOU: return "SIGTTOU";
    case SIGURG: return "SIGURG";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGVTALRM: return "SIGVTALRM";
    case SIGPROF: return "SIGPROF";
    case SIGWINCH: return "SIGWINCH";
    case SIGIO: return "SIGIO";
#ifdef SIGPWR
    case SIGPWR: return "SIGPWR";
#endif
    case SIGSYS: return "SIGSYS";
    default: break;
  }
  // Python's enum knows only the two ends of the real-time range.
  if (sig == SIGRTMIN) return "SIGRTMIN";
  if (sig == SIGRTMAX) return "SIGRTMAX";
  return "signal " + std::to_string(sig);
}

}  // namespace detail
}  // namespace gpp::daemon
