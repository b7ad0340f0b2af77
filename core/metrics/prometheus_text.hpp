#pragma once
// The metrics endpoint's answer: a snapshot of the shared counters (retired
// totals plus every live slot) rendered in the Prometheus text exposition
// format 0.0.4. Pure: the caller supplies the clock and the per-worker RSS.
#include <array>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

#include "core/metrics/shm_layout.hpp"

namespace gpp::core::metrics {

inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

struct WorkerSample {
  pid_t pid = 0;
  bool busy = false;            ///< a request is in the app
  std::uint64_t rss_bytes = 0;  ///< 0: unknown (the process is gone)
};

struct Snapshot {
  std::array<std::uint64_t, kStatusCounters> by_status{};
  std::array<std::uint64_t, kBuckets> buckets{};  ///< per bucket, not cumulative
  std::uint64_t duration_sum_us = 0;
  std::uint64_t in_flight = 0;
  double oldest_age_s = 0;  ///< 0 when nothing is in flight
  std::array<std::uint64_t, kExitReasons> restarts{};
  std::vector<WorkerSample> workers;  ///< live slots, in slot order
};

/// Sum the retired totals and every used slot. `now_ns` is CLOCK_MONOTONIC
/// (the clock workers stamp oldest_start_ns with). RSS is left 0.
Snapshot take_snapshot(const MetricsArea& area, std::int64_t now_ns);

/// The exposition text (HELP/TYPE lines, `gunicornpp_` names).
std::string render_prometheus(const Snapshot& snap);

}  // namespace gpp::core::metrics
