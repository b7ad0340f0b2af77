#pragma once
// Worker-side signals (gunicorn workers/base.py init_signals): TERM = finish
// in-flight work then exit; QUIT/INT = quick exit; USR1 = reopen logs;
// ABRT = timeout abort (exit 1); HUP/USR2 keep their default action (they
// kill a worker, as in gunicorn); WINCH ignored. Handlers only set flags and
// write to a self-pipe that the worker's poll loop watches.
#include <atomic>

namespace gpp::workers {

struct WorkerFlags {
  std::atomic<bool> alive{true};
  std::atomic<bool> quick_exit{false};
  std::atomic<bool> reopen_logs{false};
  std::atomic<bool> in_request{false};  ///< a request is in the app right now
};

/// Install the handlers; returns the read end of the wake-up pipe.
int install_worker_signals(WorkerFlags& flags);
/// Drain the wake-up pipe.
void drain_wakeup(int fd) noexcept;

}  // namespace gpp::workers
