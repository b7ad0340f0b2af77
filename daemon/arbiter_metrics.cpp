// The arbiter's side of --metrics-bind: the shared-memory slots of the
// workers, the restart reasons (decided here, in the shell, from what it sent
// and what waitpid says; the state machine is unchanged), and the endpoint.
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <string>
#include <time.h>

#include "core/log/error_log.hpp"
#include "core/metrics/prometheus_text.hpp"
#include "core/metrics/restart_reason.hpp"
#include "daemon/arbiter_impl.hpp"

namespace gpp::daemon {
namespace metrics = core::metrics;

namespace {

/// The kernel's OOM-kill count (/proc/vmstat oom_kill, Linux 4.13+; 0 if unknown).
std::uint64_t oom_kill_count() {
  std::ifstream in("/proc/vmstat");
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "oom_kill") return value;
  }
  return 0;
}

std::uint64_t rss_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

bool Arbiter::Impl::metrics_start() {
  std::string addr = cfg().get_string("metrics_bind");
  if (addr.empty()) return true;
  try {
    metrics_shm = metrics::ShmRegion::create();
  } catch (const std::exception& e) {
    core::log::error(e.what());
    return false;
  }
  metrics_server = std::make_unique<MetricsServer>(io, [this] { return metrics_render(); });
  try {
    metrics_server->listen(addr);
  } catch (const std::exception& e) {
    if (state.master_pid == 0) {
      core::log::error(e.what());
      return false;
    }
    // A USR2 master: the old master still serves on it; take it over when it goes.
    core::log::info(std::string(e.what()) + "; retrying while the old master runs");
    metrics_bind_pending = true;
  }
  return true;
}

void Arbiter::Impl::metrics_reload() {
  std::string addr = cfg().get_string("metrics_bind");
  metrics_bind_pending = false;
  if (addr.empty()) {
    if (metrics_server) metrics_server->close();  // the counters stay: a later HUP may turn it on again
    return;
  }
  // Turned on by this HUP: workers of the new generation get slots (the old ones are not counted).
  try {
    if (!metrics_shm.mapped()) metrics_shm = metrics::ShmRegion::create();
  } catch (const std::exception& e) {
    core::log::error(e.what());
    return;
  }
  if (!metrics_server) metrics_server = std::make_unique<MetricsServer>(io, [this] { return metrics_render(); });
  try {
    metrics_server->listen(addr);
  } catch (const std::exception& e) {
    core::log::error(std::string(e.what()) + "; the metrics endpoint stays at " +
                     (metrics_server->address().empty() ? "(none)" : metrics_server->address()));
  }
}

void Arbiter::Impl::metrics_tick() {
  if (!metrics_bind_pending || !metrics_server) return;
  try {
    metrics_server->listen(cfg().get_string("metrics_bind"));
    metrics_bind_pending = false;
  } catch (const std::exception&) {
    // still taken; next tick
  }
}

void Arbiter::Impl::metrics_before_spawn() {
  spawning_slot.reset();
  if (!metrics_shm.mapped()) return;
  spawning_slot = metrics_shm.acquire();
  if (!spawning_slot) core::log::warning("metrics: no free slot; this worker's requests are not counted");
}

void Arbiter::Impl::metrics_after_spawn(pid_t pid) {
  if (!spawning_slot) return;
  if (pid < 0) {
    metrics_shm.release(*spawning_slot);
  } else {
    metrics_shm.assign(*spawning_slot, pid);
    metrics_workers[pid] = MetricsWorker{*spawning_slot, false, metrics::ExitReason::None, oom_kill_count()};
  }
  spawning_slot.reset();
}

void Arbiter::Impl::metrics_in_child(workers::WorkerContext& ctx) {
  if (spawning_slot) ctx.metrics_slot = &metrics_shm.area().slots[*spawning_slot];
}

void Arbiter::Impl::metrics_killed(pid_t pid, int sig) {
  auto it = metrics_workers.find(pid);
  if (it == metrics_workers.end()) return;
  if (sig == SIGKILL) it->second.sent_kill = true;
  if ((sig == SIGTERM || sig == SIGQUIT) && state.phase == Phase::Running) it->second.retired = retire_context;
}

void Arbiter::Impl::metrics_reaped(const ChildExited& ev) {
  auto it = metrics_workers.find(ev.pid);
  if (it == metrics_workers.end()) return;
  MetricsWorker w = it->second;
  metrics_workers.erase(it);
  metrics::ExitFacts facts;
  facts.exit_code = ev.exit_code;
  facts.term_signal = ev.term_signal;
  facts.marked = metrics_shm.release(w.slot);
  auto known = state.workers.find(ev.pid);
  facts.timed_out = known != state.workers.end() && known->second.aborted;
  facts.retired = w.retired;
  facts.arbiter_sent_kill = w.sent_kill;
  if (ev.term_signal == SIGKILL && !w.sent_kill) facts.oom_kills_rose = oom_kill_count() > w.oom_kills;
  facts.stopping = state.phase != Phase::Running;
  metrics::ExitReason reason = metrics::restart_reason(facts);
  if (reason != metrics::ExitReason::None) metrics_shm.count_restart(reason);
}

std::string Arbiter::Impl::metrics_render() {
  metrics::Snapshot snap = metrics::take_snapshot(metrics_shm.area(), monotonic_ns());
  for (auto& w : snap.workers) w.rss_bytes = rss_bytes(w.pid);
  return metrics::render_prometheus(snap);
}

}  // namespace gpp::daemon
