#pragma once
// The arbiter's handle on the metrics mapping: creates it (anonymous,
// MAP_SHARED, so forked workers see the same pages), hands out slots at spawn
// and folds them into the retired totals when workers are reaped.
#include <cstddef>
#include <optional>
#include <sys/types.h>

#include "core/metrics/shm_layout.hpp"

namespace gpp::core::metrics {

class ShmRegion {
 public:
  /// Map a zeroed MetricsArea. Throws std::system_error when mmap fails.
  static ShmRegion create();
  ShmRegion() = default;
  ShmRegion(ShmRegion&& other) noexcept;
  ShmRegion& operator=(ShmRegion&& other) noexcept;
  ShmRegion(const ShmRegion&) = delete;
  ShmRegion& operator=(const ShmRegion&) = delete;
  ~ShmRegion();

  [[nodiscard]] bool mapped() const noexcept { return area_ != nullptr; }
  [[nodiscard]] MetricsArea& area() noexcept { return *area_; }
  [[nodiscard]] const MetricsArea& area() const noexcept { return *area_; }

  /// A free slot, zeroed and marked used (pid is set by assign()); nullopt
  /// when all kMaxSlots are taken. Arbiter only, before fork.
  std::optional<std::size_t> acquire();
  /// Record the pid of the worker forked with `index` (arbiter, after fork).
  void assign(std::size_t index, pid_t pid) noexcept;
  /// The worker of `index` is reaped: add its counters to the retired totals
  /// and free the slot. Returns the reason the worker marked (None if none).
  ExitReason release(std::size_t index) noexcept;
  /// Count one restart.
  void count_restart(ExitReason reason) noexcept;

 private:
  MetricsArea* area_ = nullptr;
};

}  // namespace gpp::core::metrics
