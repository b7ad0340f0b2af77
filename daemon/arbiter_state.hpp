#pragma once
// The arbiter's decisions as a pure state machine (DESIGN.md "Process model"):
// step(state, event, now) -> actions. No fork, no kill, no clock, no I/O here;
// arbiter.cpp turns signals/waitpid/timers into Events and executes Actions.
// Rules and log texts are gunicorn's arbiter.py (26.1).
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <variant>
#include <vector>

namespace gpp::daemon {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

enum class Sig { HUP, TTIN, TTOU, TERM, INT, QUIT, USR1, USR2, WINCH };

struct WorkerInfo {
  pid_t pid = 0;
  int age = 0;             ///< spawn order (gunicorn's worker.age); oldest = smallest
  bool aborted = false;    ///< SIGABRT sent for a timeout; next stale tick -> SIGKILL
  bool retiring = false;   ///< SIGTERM/SIGQUIT already sent
  bool ready = false;      ///< told the arbiter its app is loaded and it accepts (WorkerReady)
  bool retire_requested = false;  ///< reached max_requests; serves until a replacement is ready
  /// When this surplus worker first had to wait for a ready replacement (surge-first).
  std::optional<TimePoint> waiting_since;
};

/// Settings the state machine needs (refreshed on reload).
struct ArbiterSettings {
  int num_workers = 1;
  double timeout_s = 30;           ///< 0 disables murdering
  double graceful_timeout_s = 30;
  bool daemon = false;             ///< WINCH only acts when daemonized
  /// CloseListeners{unlink} on stop. gunicorn unlinks unix socket files only when
  /// not socket-activated, not reuse_port and not in a re-exec relation; the shell
  /// sets this to false in those cases.
  bool unlink_listeners = true;
};

// ---- events ----
struct SignalEvent { Sig sig; };
/// A child was reaped. Exactly one of exit_code (>= 0) / term_signal (> 0) is set.
struct ChildExited {
  pid_t pid;
  int exit_code = -1;
  int term_signal = 0;
  int status = -1;  ///< raw waitpid status if known (only logged for unknown children)
};
/// The shell forked a worker in answer to a Spawn action.
struct Spawned { pid_t pid; int age; };
/// The shell could not fork (or prepare) the worker of a Spawn action. The
/// worker is no longer counted as pending; the next Tick spawns it again.
struct SpawnFailed { int age; };
/// Periodic (about once a second). `idle_s[pid]` = seconds since that worker's
/// last heartbeat; workers absent from the map are treated as fresh. `ppid` is
/// getppid() (0: not checked); a re-exec'd master compares it with master_pid.
struct Tick { std::map<pid_t, double> idle_s; pid_t ppid = 0; };
/// The shell ran a ReloadConfig action. ok=false keeps the old settings.
struct ReloadDone { bool ok; ArbiterSettings settings; };
/// The shell forked the re-exec child of a Reexec action (not sent when fork failed).
struct ReexecStarted { pid_t pid; };
/// A worker's message on the readiness pipe: its app is loaded, it accepts now.
struct WorkerReady { pid_t pid; };
/// A worker's message: it reached max_requests and keeps serving until it is
/// sent SIGTERM, which happens once a replacement is ready (surge-first).
struct RetireRequested { pid_t pid; };
using Event = std::variant<SignalEvent, ChildExited, Spawned, Tick, ReloadDone, SpawnFailed, ReexecStarted,
                           WorkerReady, RetireRequested>;

// ---- actions ----
enum class LogLevel { Debug, Info, Warning, Error, Critical };
struct Log { LogLevel level; std::string message; };
struct Spawn { int age; };                ///< fork one worker with this age
struct Kill { pid_t pid; int signal; };   ///< POSIX signal number
struct ReloadConfig {};                   ///< re-read config, then feed ReloadDone
struct ReopenLogs {};
struct CloseListeners { bool unlink; };   ///< unlink unix socket files when true
/// Call a server hook by name (child_exit gets `pid`; nworkers_changed gets new/old).
struct CallHook { std::string name; pid_t pid = 0; int new_value = 0; int old_value = 0; };
struct RemovePidfile {};                  ///< halt(): before on_exit, as gunicorn
struct Exit { int code; };                ///< after on_exit
/// USR2: fork; the child runs pre_exec and execs this binary with the listener
/// fds (GUNICORN_FD / LISTEN_FDS) and GUNICORN_PID; then feed ReexecStarted.
struct Reexec {};
/// This re-exec'd master's parent is gone: rename `<pidfile>.2` to `<pidfile>`,
/// drop GUNICORN_PID, process title without ".2", sd_notify MAINPID.
struct Promote {};
/// One sd_notify datagram ("READY=1\nSTATUS=...", "RELOADING=1", "STOPPING=1").
/// The shell appends MONOTONIC_USEC= to RELOADING=1 (systemd's notify-reload).
struct Notify { std::string state; };
using Action = std::variant<Log, Spawn, Kill, ReloadConfig, ReopenLogs, CloseListeners, RemovePidfile, CallHook,
                            Exit, Reexec, Promote, Notify>;

enum class Phase { Running, Stopping, Halted };

struct ArbiterState {
  ArbiterSettings settings;
  Phase phase = Phase::Running;
  bool graceful_stop = true;
  TimePoint stop_deadline{};
  int exit_code = 0;
  std::optional<std::string> halt_reason;
  int worker_age = 0;                 ///< last age handed out
  int pending_spawns = 0;             ///< Spawn actions not yet answered by Spawned
  std::map<pid_t, WorkerInfo> workers;
  std::string master_name = "Master"; ///< for "Hang up: Master" / "Shutting down: Master"
  int last_logged_worker_count = -1;  ///< manage_workers logs "N workers" (debug) on change
  pid_t reexec_pid = 0;  ///< the USR2 child (a new master) while it lives
  pid_t master_pid = 0;  ///< GUNICORN_PID: the old master, until promotion ("Master.2")
  TimePoint now{};       ///< the current step's time (manage_workers' surge deadline)
  bool announced_ready = false;  ///< READY=1 sent since start / the last RELOADING=1
  bool reload_pending = false;   ///< HUP's ReloadConfig not yet answered by ReloadDone
  std::string last_status;       ///< the last STATUS= sent (sent again only on change)
};

/// How long a surplus worker waits for a ready replacement before it is
/// retired anyway (a replacement that cannot boot must not keep it forever):
/// the worker timeout, or 30 s when timeouts are off.
[[nodiscard]] inline double surge_wait_s(const ArbiterSettings& s) { return s.timeout_s > 0 ? s.timeout_s : 30; }

/// Unlink unix socket files on stop: settings allow it and no re-exec relation
/// (the other master still serves on them), as gunicorn's stop().
[[nodiscard]] inline bool unlink_on_stop(const ArbiterState& state) {
  return state.settings.unlink_listeners && state.reexec_pid == 0 && state.master_pid == 0;
}

/// Advance the state machine by one event.
std::vector<Action> step(ArbiterState& state, const Event& event, TimePoint now);

/// The actions to start: spawn settings.num_workers workers.
std::vector<Action> start(ArbiterState& state, TimePoint now);

/// After SIGKILL at the stop deadline, how long to wait for the reaps before
/// exiting anyway (a process in uninterruptible sleep never dies).
inline constexpr std::chrono::seconds kSigkillWait{2};
/// The deadline an INT/QUIT sets when it escalates a graceful stop.
inline constexpr std::chrono::seconds kQuickShutdownWait{2};

namespace detail {
// Shared between arbiter_state.cpp and arbiter_state_signals.cpp; not for the shell.
using Actions = std::vector<Action>;

/// Append one action, built in place (a temporary Action moved into the
/// vector trips GCC 12's -Wmaybe-uninitialized on std::variant).
template <class T>
void emit(Actions& out, T action) {
  out.emplace_back(std::in_place_type<T>, std::move(action));
}

/// gunicorn's manage_workers, surge-first: spawn up to num_workers (pending
/// spawns count; a worker that asked to retire does not), SIGTERM the oldest
/// surplus, but a ready one only while num_workers ready workers remain
/// without it (or after surge_wait_s); log "N workers" (debug) on change;
/// sd_notify READY/STATUS as readiness changes.
void manage_workers(ArbiterState& state, Actions& out);
/// sd_notify READY=1 (once per start or reload, when the wanted workers are
/// ready and no old one waits) and STATUS= when the counts change.
void notify_readiness(ArbiterState& state, Actions& out);
/// Set num_workers and call the nworkers_changed(new, old) hook.
void set_num_workers(ArbiterState& state, int value, Actions& out);
/// Send `sig` to every worker, oldest first; TERM/QUIT/KILL mark them retiring.
void kill_workers(ArbiterState& state, int sig, Actions& out);
/// Enter Stopping: close listeners, signal the workers, arm the deadline.
/// state.exit_code / state.halt_reason are set by the caller.
void begin_stop(ArbiterState& state, bool graceful, TimePoint now, Actions& out);
/// In Stopping with nothing left to wait for: log, on_exit hook, Exit.
void finish_if_done(ArbiterState& state, TimePoint now, Actions& out);
/// A signal event (both Running and Stopping).
void on_signal(ArbiterState& state, Sig sig, TimePoint now, Actions& out);
/// The answer to ReloadConfig.
void on_reload_done(ArbiterState& state, const ReloadDone& done, Actions& out);
/// "SIGKILL", "SIGSEGV", ... as Python's signal.Signals(n).name; "signal N" otherwise.
std::string signal_name(int sig);
}  // namespace detail

}  // namespace gpp::daemon
