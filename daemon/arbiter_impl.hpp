#pragma once
// Private to the arbiter shell (arbiter.cpp, arbiter_spawn.cpp, arbiter_reload.cpp).
#include <map>
#include <optional>

#include "daemon/arbiter.hpp"
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

  config::Config& cfg() { return setup.cfg; }
  void execute(std::vector<Action> actions);
  void feed(const Event& ev) { execute(step(state, ev, Clock::now())); }
  void reap();
  void on_signal(int sig);
  void arm_signals();
  void arm_timer();
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

  // arbiter_reload.cpp
  /// HUP: re-read the configuration, re-bind when `bind` changed, feed ReloadDone.
  void reload();
};

}  // namespace gpp::daemon
