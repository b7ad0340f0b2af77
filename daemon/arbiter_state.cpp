// The arbiter's pure state machine: workers, children, ticks and stopping.
// Signals and reload live in arbiter_state_signals.cpp. Behaviour and log
// texts follow gunicorn 26.1's arbiter.py (manage_workers, murder_workers,
// reap_workers, stop, halt).
#include "daemon/arbiter_state.hpp"

#include <algorithm>
#include <csignal>

namespace gpp::daemon {
namespace {

using detail::Actions;

/// gunicorn's WORKER_BOOT_ERROR and APP_LOAD_ERROR exit statuses.
constexpr int kWorkerBootError = 3;
constexpr int kAppLoadError = 4;

void log(Actions& out, LogLevel level, std::string message) {
  detail::emit(out, Log{level, std::move(message)});
}

std::string pid_text(pid_t pid) { return "Worker (pid:" + std::to_string(pid) + ")"; }

/// The signal a worker that appears during Stopping gets.
int stop_signal(const ArbiterState& state, TimePoint now) {
  if (now >= state.stop_deadline) return SIGKILL;
  return state.graceful_stop ? SIGTERM : SIGQUIT;
}

/// murder_workers: stale heartbeat -> SIGABRT once, then SIGKILL.
void murder_workers(ArbiterState& state, const Tick& tick, Actions& out) {
  if (state.settings.timeout_s <= 0) return;
  for (auto& [pid, worker] : state.workers) {
    auto idle = tick.idle_s.find(pid);
    if (idle == tick.idle_s.end() || idle->second <= state.settings.timeout_s) continue;
    if (!worker.aborted) {
      log(out, LogLevel::Critical, "WORKER TIMEOUT (pid:" + std::to_string(pid) + ")");
      worker.aborted = true;
      detail::emit(out, Kill{pid, SIGABRT});
    } else {
      detail::emit(out, Kill{pid, SIGKILL});
    }
  }
}

/// Log a reaped worker's fate as reap_workers does.
void log_exit(const ChildExited& child, Actions& out) {
  if (child.term_signal > 0) {
    std::string msg = pid_text(child.pid) + " was sent " + detail::signal_name(child.term_signal) + "!";
    if (child.term_signal == SIGKILL) {
      log(out, LogLevel::Error, msg + " Perhaps out of memory?");
    } else if (child.term_signal == SIGTERM) {
      log(out, LogLevel::Info, msg);
    } else {
      log(out, LogLevel::Warning, msg);
    }
  } else if (child.exit_code > 0) {
    log(out, LogLevel::Error,
        pid_text(child.pid) + " exited with code " + std::to_string(child.exit_code) + ".");
  }
}

/// waitpid's raw status, rebuilt when the shell did not pass it.
int raw_status(const ChildExited& child) {
  if (child.status >= 0) return child.status;
  if (child.term_signal > 0) return child.term_signal;
  return std::max(child.exit_code, 0) << 8;
}

void on_child_exited(ArbiterState& state, const ChildExited& child, TimePoint now, Actions& out) {
  if (child.pid == state.reexec_pid && state.reexec_pid != 0) {
    state.reexec_pid = 0;  // the new master is gone: USR2 works again (gunicorn: silent)
    return;
  }
  auto it = state.workers.find(child.pid);
  if (it == state.workers.end()) {
    // Not ours (e.g. an orphan reparented to us as PID 1): reap silently.
    log(out, LogLevel::Debug,
        "Reaped unknown child process (pid:" + std::to_string(child.pid) +
            ", status:" + std::to_string(raw_status(child)) + ")");
    return;
  }
  state.workers.erase(it);
  log_exit(child, out);

  if (child.term_signal == 0 && (child.exit_code == kWorkerBootError || child.exit_code == kAppLoadError)) {
    // HaltServer: gunicorn skips the child_exit hook. A halt already under way
    // (or a stop the operator asked for) keeps its own exit status.
    if (state.phase == Phase::Running) {
      state.exit_code = child.exit_code;
      state.halt_reason = child.exit_code == kWorkerBootError ? "Worker failed to boot." : "App failed to load.";
      detail::begin_stop(state, true, now, out);
      return;
    }
  } else {
    detail::emit(out, CallHook{"child_exit", child.pid});
  }

  if (state.phase == Phase::Running) {
    detail::manage_workers(state, out);
  } else if (state.phase == Phase::Stopping) {
    detail::finish_if_done(state, now, out);
  }
}

void on_spawned(ArbiterState& state, const Spawned& spawned, TimePoint now, Actions& out) {
  if (state.pending_spawns > 0) --state.pending_spawns;
  WorkerInfo& worker = state.workers[spawned.pid];
  worker.pid = spawned.pid;
  worker.age = spawned.age;
  if (state.phase == Phase::Running) {
    detail::manage_workers(state, out);
  } else {
    // Forked after the stop began: it leaves with the others.
    worker.retiring = true;
    detail::emit(out, Kill{spawned.pid, stop_signal(state, now)});
  }
}

/// A message on the readiness pipe. Unknown pids (already reaped) are ignored.
template <class Message>
void on_worker_message(ArbiterState& state, const Message& msg, Actions& out) {
  auto it = state.workers.find(msg.pid);
  if (it == state.workers.end()) return;
  if constexpr (std::is_same_v<Message, WorkerReady>) {
    it->second.ready = true;
  } else {
    it->second.retire_requested = true;
  }
  if (state.phase == Phase::Running) detail::manage_workers(state, out);
}

/// gunicorn's maybe_promote_master: the old master is gone when our parent changed.
void maybe_promote(ArbiterState& state, const Tick& tick, Actions& out) {
  if (state.master_pid == 0 || tick.ppid == 0 || tick.ppid == state.master_pid) return;
  log(out, LogLevel::Info, "Master has been promoted.");
  state.master_name = "Master";
  state.master_pid = 0;
  detail::emit(out, Promote{});
}

void on_tick(ArbiterState& state, const Tick& tick, TimePoint now, Actions& out) {
  if (state.phase == Phase::Running) {
    maybe_promote(state, tick, out);
    murder_workers(state, tick, out);
    detail::manage_workers(state, out);
    return;
  }
  if (state.phase != Phase::Stopping) return;
  if (now >= state.stop_deadline) detail::kill_workers(state, SIGKILL, out);
  detail::finish_if_done(state, now, out);
}

}  // namespace

namespace detail {

void set_num_workers(ArbiterState& state, int value, Actions& out) {
  const int old_value = state.settings.num_workers;
  state.settings.num_workers = value;
  detail::emit(out, CallHook{"nworkers_changed", 0, value, old_value});
}

void kill_workers(ArbiterState& state, int sig, Actions& out) {
  std::vector<WorkerInfo*> all;
  for (auto& [pid, worker] : state.workers) all.push_back(&worker);
  std::sort(all.begin(), all.end(),
            [](const WorkerInfo* a, const WorkerInfo* b) { return a->age < b->age; });
  for (WorkerInfo* worker : all) {
    if (sig == SIGTERM || sig == SIGQUIT || sig == SIGKILL) worker->retiring = true;
    detail::emit(out, Kill{worker->pid, sig});
  }
}

void begin_stop(ArbiterState& state, bool graceful, TimePoint now, Actions& out) {
  if (state.phase == Phase::Running) {
    if (state.reexec_pid != 0) {
      // A USR2 upgrade being finished: hand systemd the new master before we
      // exit, rather than tell it the service stops.
      detail::emit(out, Notify{"MAINPID=" + std::to_string(state.reexec_pid)});
    } else if (state.master_pid == 0) {  // an unpromoted new master backing out is not the service
      detail::emit(out, Notify{"STOPPING=1"});
    }
  }
  state.phase = Phase::Stopping;
  state.graceful_stop = graceful;
  state.stop_deadline =
      now + std::chrono::duration_cast<Clock::duration>(
                std::chrono::duration<double>(std::max(state.settings.graceful_timeout_s, 0.0)));
  detail::emit(out, CloseListeners{unlink_on_stop(state)});
  kill_workers(state, graceful ? SIGTERM : SIGQUIT, out);
  finish_if_done(state, now, out);
}

void finish_if_done(ArbiterState& state, TimePoint now, Actions& out) {
  if (state.phase != Phase::Stopping) return;
  const bool past_deadline = now >= state.stop_deadline;
  if (!state.workers.empty()) {
    // SIGKILL went out at the deadline; give the reaps a moment, then go.
    if (now < state.stop_deadline + kSigkillWait) return;
    log(out, LogLevel::Warning,
        std::to_string(state.workers.size()) + " worker(s) still alive after SIGKILL, exiting anyway");
    state.workers.clear();
  } else if (state.pending_spawns > 0 && !past_deadline) {
    return;  // a fork is on its way; it is stopped when it registers
  }
  const LogLevel level = state.exit_code == 0 ? LogLevel::Info : LogLevel::Error;
  log(out, level, "Shutting down: " + state.master_name);
  if (state.halt_reason) log(out, level, "Reason: " + *state.halt_reason);
  detail::emit(out, RemovePidfile{});
  detail::emit(out, CallHook{"on_exit"});
  detail::emit(out, Exit{state.exit_code});
  state.phase = Phase::Halted;
}

}  // namespace detail

std::vector<Action> step(ArbiterState& state, const Event& event, TimePoint now) {
  Actions out;
  if (state.phase == Phase::Halted) return out;
  state.now = now;
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, SignalEvent>) {
          detail::on_signal(state, ev.sig, now, out);
        } else if constexpr (std::is_same_v<T, ChildExited>) {
          on_child_exited(state, ev, now, out);
        } else if constexpr (std::is_same_v<T, Spawned>) {
          on_spawned(state, ev, now, out);
        } else if constexpr (std::is_same_v<T, SpawnFailed>) {
          // No respawn here: a fork that keeps failing would loop. The next Tick retries.
          if (state.pending_spawns > 0) --state.pending_spawns;
          if (state.phase == Phase::Stopping) detail::finish_if_done(state, now, out);
        } else if constexpr (std::is_same_v<T, Tick>) {
          on_tick(state, ev, now, out);
        } else if constexpr (std::is_same_v<T, ReloadDone>) {
          if (state.phase == Phase::Running) detail::on_reload_done(state, ev, out);
        } else if constexpr (std::is_same_v<T, ReexecStarted>) {
          state.reexec_pid = ev.pid;
        } else if constexpr (std::is_same_v<T, WorkerReady> || std::is_same_v<T, RetireRequested>) {
          on_worker_message(state, ev, out);
        }
      },
      event);
  return out;
}

std::vector<Action> start(ArbiterState& state, TimePoint now) {
  Actions out;
  state.now = now;
  if (state.phase == Phase::Running) detail::manage_workers(state, out);
  return out;
}

}  // namespace gpp::daemon
