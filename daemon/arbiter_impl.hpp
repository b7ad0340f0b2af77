#pragma once
// Private to the arbiter shell (arbiter.cpp, arbiter_spawn.cpp, arbiter_reload.cpp).
#include <array>
#include <map>
#include <optional>
#include <string>

#include "core/metrics/shm_region.hpp"
#include "core/unique_fd.hpp"
#include "daemon/arbiter.hpp"
#include "daemon/metrics_server.hpp"
#include "workers/asio.hpp"
#include "workers/heartbeat.hpp"

namespace gpp::daemon {

struct Arbiter::Impl {
  ArbiterSetup setup;
  boost::asio::io_context io;
  boost::asio::signal_set signals{io};
  boost::asio::steady_timer timer{io};
  ArbiterState state;
  std::map<pid_t, workers::Heartbeat> heartbeats;
  std::optional<int> exit_code;
  // Readiness pipe (workers/readiness.hpp): workers inherit the write end.
  core::UniqueFd readiness_write;
  std::optional<boost::asio::posix::stream_descriptor> readiness_read;
  std::array<char, 4096> readiness_buf{};
  std::string readiness_partial;
  // sd_notify WATCHDOG=1 every WATCHDOG_USEC / 2 (when systemd asks for it).
  boost::asio::steady_timer watchdog{io};
  std::chrono::microseconds watchdog_interval{0};

  config::Config& cfg() { return setup.cfg; }
  void execute(std::vector<Action> actions);
  void feed(const Event& ev) { execute(step(state, ev, Clock::now())); }
  void reap();
  void on_signal(int sig);
  void arm_signals();
  void arm_timer();
  // arbiter_notify.cpp
  /// Create the readiness pipe and start reading it.
  void open_readiness();
  void arm_readiness();
  /// Execute a Notify action (adds MONOTONIC_USEC to RELOADING=1).
  void notify(const std::string& state);
  /// Start WATCHDOG=1 pings when WATCHDOG_USEC is set for this process
  /// (`any_pid`: after promotion, WATCHDOG_PID still names the old master).
  void start_watchdog(bool any_pid);
  void arm_watchdog();
  /// Refresh `server.*` for hooks.
  void publish_server();
  /// The master's process title, "master [name]".
  void master_title();

  // arbiter_spawn.cpp
  void spawn(int age);
  [[noreturn]] void run_child(int age);

  // arbiter_reexec.cpp
  /// USR2: fork and exec a new master; feeds ReexecStarted.
  void reexec();
  [[noreturn]] void exec_new_master(pid_t old_master);
  /// The old master is gone: take over the pidfile, title, MAINPID.
  void promote();

  // arbiter_metrics.cpp (--metrics-bind; all no-ops while it was never set)
  /// What the shell knows about a worker for its restart reason.
  struct MetricsWorker {
    std::size_t slot = 0;
    bool sent_kill = false;              ///< we sent it SIGKILL
    core::metrics::ExitReason retired{}; ///< we sent it TERM to retire it (reload / scale_down)
    std::uint64_t oom_kills = 0;         ///< /proc/vmstat oom_kill when it was forked
  };
  core::metrics::ShmRegion metrics_shm;
  std::unique_ptr<MetricsServer> metrics_server;
  std::map<pid_t, MetricsWorker> metrics_workers;
  std::optional<std::size_t> spawning_slot;  ///< the slot of the worker being forked
  /// Why a TERM the state machine sends now retires a worker (TTOU: scale_down).
  core::metrics::ExitReason retire_context = core::metrics::ExitReason::Reload;
  bool metrics_bind_pending = false;  ///< a USR2 master waits for the old one to free the address
  /// Map and bind when metrics_bind is set. False: it cannot bind (start fails).
  bool metrics_start();
  /// HUP: bind, re-bind or close after the new config is in place.
  void metrics_reload();
  /// Tick: retry a pending bind.
  void metrics_tick();
  /// Before fork: take a slot for the new worker (spawning_slot).
  void metrics_before_spawn();
  /// After fork in the parent: pid >= 0 registers it, pid < 0 frees the slot.
  void metrics_after_spawn(pid_t pid);
  /// In the child: hand the worker its slot.
  void metrics_in_child(workers::WorkerContext& ctx);
  /// execute(Kill): remember what we sent.
  void metrics_killed(pid_t pid, int sig);
  /// reap(), before the state machine forgets the worker: fold its slot, count the restart.
  void metrics_reaped(const ChildExited& ev);
  /// The /metrics body.
  std::string metrics_render();

  // arbiter_reload.cpp
  /// HUP: re-read the configuration, re-bind when `bind` changed, feed ReloadDone.
  void reload();
};

}  // namespace gpp::daemon
