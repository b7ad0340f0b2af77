#pragma once
// The layout of the request-metrics shared memory (--metrics-bind): one
// anonymous MAP_SHARED mapping the arbiter creates before forking any worker.
// Each worker writes only its own slot, with relaxed atomics (no locks, no
// syscalls on the request path); the arbiter reads every slot at scrape time
// and, when it reaps a worker, folds the slot into `retired` and frees it, so
// the rendered counters never go backwards. No Python, no sockets.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <sys/types.h>

namespace gpp::core::metrics {

/// Histogram upper bounds in microseconds (Prometheus-style; rendered cumulative
/// with `le` in seconds). The last bucket is +Inf.
inline constexpr std::array<std::uint64_t, 11> kBucketBoundsUs{
    5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
inline constexpr std::size_t kBuckets = kBucketBoundsUs.size() + 1;

/// Status codes 100..599 get a counter each; index 0 counts anything else.
inline constexpr int kMinStatus = 100;
inline constexpr int kMaxStatus = 599;
inline constexpr std::size_t kStatusCounters = kMaxStatus - kMinStatus + 2;

/// Why a worker left (restart reasons). The worker marks the first two itself
/// before exiting; the arbiter decides the others when it reaps the worker.
enum class ExitReason : std::uint32_t {
  None = 0,        ///< not marked (the arbiter decides)
  MaxRequests,     ///< --max-requests reached (worker)
  RequestTimeout,  ///< --request-timeout recycled the worker (worker)
  Timeout,         ///< missed heartbeat: the arbiter sent SIGABRT/SIGKILL
  Crash,           ///< non-zero exit or a signal the arbiter did not send
  Oom,             ///< SIGKILL the arbiter did not send while the kernel's oom_kill count rose
  Reload,          ///< retired by the arbiter after HUP (a new generation replaced it)
  ScaleDown,       ///< retired by the arbiter after TTOU
  Other,           ///< exit status 0 nobody asked for (parent changed, --reload code change)
  Count_
};
inline constexpr std::size_t kExitReasons = static_cast<std::size_t>(ExitReason::Count_);

/// The label value of a reason ("max_requests", ...).
const char* reason_label(ExitReason r) noexcept;

/// Bucket index of a duration (0 .. kBuckets-1).
[[nodiscard]] inline std::size_t bucket_for(std::uint64_t us) noexcept {
  std::size_t i = 0;
  while (i < kBucketBoundsUs.size() && us > kBucketBoundsUs[i]) ++i;
  return i;
}

/// Counter index of a status code.
[[nodiscard]] inline std::size_t status_index(int status) noexcept {
  return status >= kMinStatus && status <= kMaxStatus ? static_cast<std::size_t>(status - kMinStatus + 1) : 0;
}

/// Counters that only grow (per worker slot, and the retired totals).
struct RequestCounters {
  std::array<std::atomic<std::uint64_t>, kStatusCounters> by_status{};
  std::array<std::atomic<std::uint64_t>, kBuckets> buckets{};  ///< per bucket, not cumulative
  std::atomic<std::uint64_t> duration_sum_us{0};
};

/// One worker's slot. Written by that worker only (except `pid`/`used`, which
/// the arbiter sets before fork and clears after reaping).
struct alignas(64) WorkerSlot {
  std::atomic<std::int32_t> pid{0};
  std::atomic<std::uint32_t> used{0};          ///< 1 while a live worker owns it
  std::atomic<std::uint32_t> exit_reason{0};   ///< ExitReason the worker marked
  std::atomic<std::uint32_t> in_flight{0};     ///< requests in the app right now
  std::atomic<std::int64_t> oldest_start_ns{0};  ///< CLOCK_MONOTONIC of the oldest in flight (0: none)
  RequestCounters counters;
};

/// Totals of workers that are gone (arbiter-owned).
struct RetiredTotals {
  RequestCounters counters;
  std::array<std::atomic<std::uint64_t>, kExitReasons> restarts{};
};

/// Slots per mapping: enough for the largest worker count with a HUP's second
/// generation alongside; untouched slots are never faulted in (cost nothing).
inline constexpr std::size_t kMaxSlots = 4096;

struct MetricsArea {
  RetiredTotals retired;
  /// Slots [0, high_water) have been handed out at least once. Readers stop
  /// there: reading a never-touched shared page would fault it in.
  std::atomic<std::uint32_t> high_water{0};
  std::array<WorkerSlot, kMaxSlots> slots;
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shm counters must be lock-free");
static_assert(std::atomic<std::int64_t>::is_always_lock_free, "shm counters must be lock-free");

// ---- worker side: the request path (relaxed; a slot has one writer thread
// for in_flight/oldest, any thread for the counters) ----

/// Count one finished request.
inline void record_request(WorkerSlot& slot, int status, std::uint64_t duration_us) noexcept {
  constexpr auto r = std::memory_order_relaxed;
  slot.counters.by_status[status_index(status)].fetch_add(1, r);
  slot.counters.buckets[bucket_for(duration_us)].fetch_add(1, r);
  slot.counters.duration_sum_us.fetch_add(duration_us, r);
}

// ---- arbiter side ----

/// Add `from` to `into` (the arbiter folds a reaped worker's slot).
void add_counters(RequestCounters& into, const RequestCounters& from) noexcept;
/// Zero every field of a slot (before it is handed to a new worker).
void reset_slot(WorkerSlot& slot) noexcept;

}  // namespace gpp::core::metrics
