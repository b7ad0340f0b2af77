#pragma once
// Worker-side signals (gunicorn workers/base.py init_signals): TERM = finish
// in-flight work then exit; QUIT/INT = worker_int hook, then exit 0 at once;
// USR1 = reopen logs; ABRT = the arbiter's timeout: worker_abort hook, exit 1;
// HUP/USR2 keep their default action (they kill a worker, as in gunicorn);
// WINCH ignored.
//
// The C handlers only set flags and write to two pipes: the worker's poll
// loop watches one (wake-up), a "signal thread" reads the other. gunicorn runs
// worker_int/worker_abort from Python signal handlers; we run them on that
// thread, which takes the GIL like any Python thread: it gets it at once when
// the worker is idle (the GIL is released around poll) or the app sleeps or
// does I/O, and within the switch interval when the app runs Python code.
// An app stuck in C code holding the GIL never lets it run — as in gunicorn,
// whose handler cannot run then either — and the arbiter's SIGKILL follows.
#include <atomic>

namespace gpp::workers {

struct WorkerFlags {
  std::atomic<bool> alive{true};
  std::atomic<bool> quick_exit{false};
  std::atomic<bool> reopen_logs{false};
  std::atomic<bool> in_request{false};  ///< a request is in the app right now
};

/// Install the handlers and start the signal thread; returns the read end of
/// the wake-up pipe. Call with every signal blocked (the arbiter forks so);
/// unblocks them in the calling thread.
int install_worker_signals(WorkerFlags& flags);
/// Drain the wake-up pipe.
void drain_wakeup(int fd) noexcept;

/// The worker's last steps, run once whichever thread gets here first:
/// "Worker exiting (pid: N)", the worker_exit hook, atexit handlers, _exit(code).
/// A second caller blocks forever (the first one ends the process).
[[noreturn]] void exit_worker(int code);

}  // namespace gpp::workers
