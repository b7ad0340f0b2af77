// The arbiter state machine's worker-count management, surge-first (our
// addition to gunicorn's manage_workers): a worker that has to go (HUP's old
// generation, max_requests, TTOU) keeps serving until a replacement has told
// the arbiter it is ready, so the number of workers accepting never dips.
// Also the sd_notify READY/STATUS decisions, which follow readiness.
#include <algorithm>
#include <csignal>

#include "daemon/arbiter_state.hpp"

namespace gpp::daemon {
namespace {

using detail::Actions;

void log(Actions& out, LogLevel level, std::string message) {
  detail::emit(out, Log{level, std::move(message)});
}

/// Workers not yet told to leave, oldest (smallest age) first.
std::vector<WorkerInfo*> live_by_age(ArbiterState& state) {
  std::vector<WorkerInfo*> live;
  for (auto& [pid, worker] : state.workers) {
    if (!worker.retiring) live.push_back(&worker);
  }
  std::sort(live.begin(), live.end(),
            [](const WorkerInfo* a, const WorkerInfo* b) { return a->age < b->age; });
  return live;
}

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

/// The workers that must go: those that asked to (oldest first), then the
/// oldest beyond `wanted` (pending spawns are the youngest, so they stay).
std::vector<WorkerInfo*> surplus(const std::vector<WorkerInfo*>& live, int pending, int wanted) {
  std::vector<WorkerInfo*> out;
  std::vector<WorkerInfo*> keepers;
  for (WorkerInfo* w : live) (w->retire_requested ? out : keepers).push_back(w);
  int excess = static_cast<int>(keepers.size()) + pending - wanted;
  for (std::size_t i = 0; i < keepers.size() && excess > 0; ++i, --excess) out.push_back(keepers[i]);
  std::stable_sort(out.begin(), out.end(), [](const WorkerInfo* a, const WorkerInfo* b) {
    return a->retire_requested && !b->retire_requested;
  });
  return out;
}

}  // namespace

namespace detail {

void manage_workers(ArbiterState& state, Actions& out) {
  std::vector<WorkerInfo*> live = live_by_age(state);
  const int wanted = std::max(state.settings.num_workers, 0);
  int keepers = state.pending_spawns;
  for (const WorkerInfo* w : live) keepers += w->retire_requested ? 0 : 1;
  for (; keepers < wanted; ++keepers) {
    detail::emit(out, Spawn{++state.worker_age});
    ++state.pending_spawns;
  }
  std::vector<WorkerInfo*> leaving = surplus(live, state.pending_spawns, wanted);
  int ready = 0;
  for (WorkerInfo* w : live) {
    ready += w->ready ? 1 : 0;
    if (std::find(leaving.begin(), leaving.end(), w) == leaving.end()) w->waiting_since.reset();
  }
  // A worker still booting goes at once (it serves nobody); a ready one only
  // when `wanted` ready workers remain without it, or when its replacement
  // has not become ready within surge_wait_s (it cannot boot: go anyway).
  for (WorkerInfo* worker : leaving) {
    if (worker->ready && ready - 1 < wanted) {
      if (!worker->waiting_since) worker->waiting_since = state.now;
      if (state.now - *worker->waiting_since < seconds(surge_wait_s(state.settings))) continue;
      log(out, LogLevel::Warning,
          "Worker (pid:" + std::to_string(worker->pid) + ") retired without a ready replacement");
    }
    if (worker->ready) --ready;
    worker->retiring = true;
    detail::emit(out, Kill{worker->pid, SIGTERM});
  }
  int count = state.pending_spawns;
  for (const WorkerInfo* w : live) count += w->retiring ? 0 : 1;
  if (count != state.last_logged_worker_count) {
    state.last_logged_worker_count = count;
    log(out, LogLevel::Debug, std::to_string(count) + " workers");
  }
  notify_readiness(state, out);
}

void notify_readiness(ArbiterState& state, Actions& out) {
  if (state.phase != Phase::Running) return;
  int ready = 0;
  int booting = state.pending_spawns;
  bool surplus_left = false;
  for (const auto& [pid, w] : state.workers) {
    if (w.retiring) continue;
    if (w.ready) ++ready;
    else ++booting;
    surplus_left = surplus_left || w.waiting_since.has_value();
  }
  std::string status = "STATUS=" + std::to_string(ready) + " workers ready, " + std::to_string(booting) + " booting";
  // READY once the wanted workers are ready and no old one waits for a swap:
  // at start (after the workers booted, not before as gunicorn) and after a HUP.
  if (!state.announced_ready && !state.reload_pending && state.settings.num_workers > 0 && ready >= state.settings.num_workers &&
      !surplus_left) {
    state.announced_ready = true;
    state.last_status = status;
    log(out, LogLevel::Info, "Workers ready: " + std::to_string(ready));
    detail::emit(out, Notify{"READY=1\n" + status});
    return;
  }
  if (status != state.last_status) {
    state.last_status = status;
    detail::emit(out, Notify{status});
  }
}

}  // namespace detail
}  // namespace gpp::daemon
