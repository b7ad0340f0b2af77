#pragma once
// Why a reaped worker left, from what the arbiter knows about it (pure; the
// arbiter shell gathers the facts in reap()).
#include <csignal>

#include "core/metrics/shm_layout.hpp"

namespace gpp::core::metrics {

struct ExitFacts {
  int exit_code = -1;                       ///< >= 0 when the worker exited
  int term_signal = 0;                      ///< > 0 when a signal ended it
  ExitReason marked = ExitReason::None;     ///< what the worker wrote in its slot
  bool timed_out = false;                   ///< the arbiter sent SIGABRT for a stale heartbeat
  ExitReason retired = ExitReason::None;    ///< Reload / ScaleDown when the arbiter sent TERM
  bool arbiter_sent_kill = false;           ///< the arbiter sent SIGKILL to it
  bool oom_kills_rose = false;              ///< the kernel's oom_kill count grew since the worker was forked
  bool stopping = false;                    ///< the whole server is stopping: not a restart
};

/// The restart reason, or None when it is not a restart (the server is stopping).
[[nodiscard]] inline ExitReason restart_reason(const ExitFacts& f) noexcept {
  if (f.stopping) return ExitReason::None;
  if (f.timed_out) return ExitReason::Timeout;
  // A worker that asked to retire (max_requests) is TERMed by the arbiter
  // once its replacement is ready (surge-first): its own reason wins.
  if (f.retired != ExitReason::None) return f.marked != ExitReason::None ? f.marked : f.retired;
  if (f.term_signal == SIGKILL && !f.arbiter_sent_kill)
    return f.oom_kills_rose ? ExitReason::Oom : ExitReason::Crash;
  if (f.term_signal > 0 || f.exit_code != 0) return ExitReason::Crash;
  if (f.marked != ExitReason::None) return f.marked;
  return ExitReason::Other;
}

}  // namespace gpp::core::metrics
