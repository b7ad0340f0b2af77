#pragma once
// Test harness for the arbiter state machine: drives step() with an injected
// clock and renders Actions as short strings, so expectations read as lists.
#include <csignal>
#include <string>
#include <vector>

#include "daemon/arbiter_state.hpp"

namespace gpp::daemon::test {

using Lines = std::vector<std::string>;

/// Independent of the code under test on purpose.
inline std::string sig_text(int sig) {
  switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGQUIT: return "SIGQUIT";
    case SIGKILL: return "SIGKILL";
    case SIGABRT: return "SIGABRT";
    case SIGUSR1: return "SIGUSR1";
    default: return "sig" + std::to_string(sig);
  }
}

inline std::string level_text(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
    case LogLevel::Critical: return "critical";
  }
  return "?";
}

/// One line per action, e.g. "info: Handling signal: term", "kill 1001 SIGTERM".
/// Notify (sd_notify) actions are left out unless `with_notify`; the
/// existing expectations predate them and tests/unit/daemon/arbiter_state_surge_test.cpp
/// checks them.
inline Lines describe(const std::vector<Action>& actions, bool with_notify = false) {
  Lines lines;
  for (const Action& action : actions) {
    std::visit(
        [&](const auto& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, Log>) {
            lines.push_back(level_text(a.level) + ": " + a.message);
          } else if constexpr (std::is_same_v<T, Spawn>) {
            lines.push_back("spawn age=" + std::to_string(a.age));
          } else if constexpr (std::is_same_v<T, Kill>) {
            lines.push_back("kill " + std::to_string(a.pid) + " " + sig_text(a.signal));
          } else if constexpr (std::is_same_v<T, ReloadConfig>) {
            lines.push_back("reload config");
          } else if constexpr (std::is_same_v<T, ReopenLogs>) {
            lines.push_back("reopen logs");
          } else if constexpr (std::is_same_v<T, CloseListeners>) {
            lines.push_back(std::string("close listeners unlink=") + (a.unlink ? "true" : "false"));
          } else if constexpr (std::is_same_v<T, CallHook>) {
            if (a.name == "child_exit") {
              lines.push_back("hook child_exit pid=" + std::to_string(a.pid));
            } else if (a.name == "nworkers_changed") {
              lines.push_back("hook nworkers_changed new=" + std::to_string(a.new_value) +
                              " old=" + std::to_string(a.old_value));
            } else {
              lines.push_back("hook " + a.name);
            }
          } else if constexpr (std::is_same_v<T, RemovePidfile>) {
            lines.push_back("remove pidfile");
          } else if constexpr (std::is_same_v<T, Exit>) {
            lines.push_back("exit " + std::to_string(a.code));
          } else if constexpr (std::is_same_v<T, Reexec>) {
            lines.push_back("reexec");
          } else if constexpr (std::is_same_v<T, Promote>) {
            lines.push_back("promote");
          } else if constexpr (std::is_same_v<T, Notify>) {
            if (!with_notify) return;
            std::string text = a.state;
            for (char& ch : text) if (ch == '\n') ch = '|';
            lines.push_back("notify " + text);
          }
        },
        action);
  }
  return lines;
}

/// An arbiter fed by a fake shell: worker pids are 1000 + age.
struct Harness {
  ArbiterState state;
  TimePoint now = TimePoint{} + std::chrono::hours(1);

  explicit Harness(int workers = 2) { state.settings.num_workers = workers; }

  static pid_t pid_of(int age) { return 1000 + age; }

  /// Advance the injected clock.
  void advance(double seconds) {
    now += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }

  /// step() rendered; every Spawn is answered with Spawned like the real shell
  /// does (those answers' own actions are appended).
  Lines feed(const Event& event) { return run(step(state, event, now)); }

  Lines signal(Sig sig) { return feed(SignalEvent{sig}); }
  Lines exited(pid_t pid, int code) { return feed(ChildExited{pid, code, 0}); }
  Lines killed(pid_t pid, int sig) { return feed(ChildExited{pid, -1, sig}); }
  Lines tick(std::map<pid_t, double> idle = {}, pid_t ppid = 0) { return feed(Tick{std::move(idle), ppid}); }
  Lines ready(pid_t pid) { return feed(WorkerReady{pid}); }
  Lines retire_request(pid_t pid) { return feed(RetireRequested{pid}); }

  /// start() and register the workers; returns what start() emitted.
  Lines boot() { return run(start(state, now)); }

  Lines run(const std::vector<Action>& actions) {
    Lines lines = describe(actions, with_notify);
    if (!answer_spawns) return lines;
    for (const Action& action : actions) {
      if (const auto* spawn = std::get_if<Spawn>(&action)) {
        Lines more = describe(step(state, Spawned{pid_of(spawn->age), spawn->age}, now), with_notify);
        lines.insert(lines.end(), more.begin(), more.end());
      }
    }
    return lines;
  }

  bool answer_spawns = true;  ///< false: leave Spawn actions pending
  bool with_notify = false;   ///< true: render Notify actions as "notify READY=1|STATUS=..." 
};

}  // namespace gpp::daemon::test
