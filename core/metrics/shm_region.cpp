#include "core/metrics/shm_region.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace gpp::core::metrics {

const char* reason_label(ExitReason r) noexcept {
  switch (r) {
    case ExitReason::MaxRequests: return "max_requests";
    case ExitReason::RequestTimeout: return "request_timeout";
    case ExitReason::Timeout: return "timeout";
    case ExitReason::Crash: return "crash";
    case ExitReason::Oom: return "oom";
    case ExitReason::Reload: return "reload";
    case ExitReason::ScaleDown: return "scale_down";
    case ExitReason::Other: return "other";
    default: return "none";
  }
}

void add_counters(RequestCounters& into, const RequestCounters& from) noexcept {
  constexpr auto r = std::memory_order_relaxed;
  for (std::size_t i = 0; i < kStatusCounters; ++i) {
    if (auto v = from.by_status[i].load(r)) into.by_status[i].fetch_add(v, r);
  }
  for (std::size_t i = 0; i < kBuckets; ++i) into.buckets[i].fetch_add(from.buckets[i].load(r), r);
  into.duration_sum_us.fetch_add(from.duration_sum_us.load(r), r);
}

void reset_slot(WorkerSlot& slot) noexcept {
  constexpr auto r = std::memory_order_relaxed;
  slot.pid.store(0, r);
  slot.exit_reason.store(0, r);
  slot.in_flight.store(0, r);
  slot.oldest_start_ns.store(0, r);
  for (auto& c : slot.counters.by_status) c.store(0, r);
  for (auto& c : slot.counters.buckets) c.store(0, r);
  slot.counters.duration_sum_us.store(0, r);
  slot.used.store(0, r);
}

ShmRegion ShmRegion::create() {
  void* p = ::mmap(nullptr, sizeof(MetricsArea), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap (metrics)");
  ShmRegion region;
  // Fresh anonymous pages read as zero, the value-initialised state of every
  // atomic in the area. Not constructed: that would write (and so fault in)
  // all kMaxSlots slots; only slots handed out are ever touched.
  region.area_ = static_cast<MetricsArea*>(p);
  return region;
}

ShmRegion::ShmRegion(ShmRegion&& other) noexcept
    : area_(std::exchange(other.area_, nullptr)) {}

ShmRegion& ShmRegion::operator=(ShmRegion&& other) noexcept {
  std::swap(area_, other.area_);
  return *this;
}

ShmRegion::~ShmRegion() {
  if (area_) ::munmap(area_, sizeof(MetricsArea));
}

std::optional<std::size_t> ShmRegion::acquire() {
  for (std::size_t n = 0; n < kMaxSlots; ++n) {
    WorkerSlot& slot = area_->slots[n];
    if (slot.used.load(std::memory_order_relaxed) != 0) continue;
    reset_slot(slot);
    slot.used.store(1, std::memory_order_relaxed);
    if (n >= area_->high_water.load(std::memory_order_relaxed))
      area_->high_water.store(static_cast<std::uint32_t>(n + 1), std::memory_order_relaxed);
    return n;  // lowest free slot first: freed slots are reused, few pages touched
  }
  return std::nullopt;
}

void ShmRegion::assign(std::size_t index, pid_t pid) noexcept {
  area_->slots[index].pid.store(pid, std::memory_order_relaxed);
}

ExitReason ShmRegion::release(std::size_t index) noexcept {
  WorkerSlot& slot = area_->slots[index];
  add_counters(area_->retired.counters, slot.counters);
  auto marked = static_cast<ExitReason>(slot.exit_reason.load(std::memory_order_relaxed));
  reset_slot(slot);
  return marked < ExitReason::Count_ ? marked : ExitReason::None;
}

void ShmRegion::count_restart(ExitReason reason) noexcept {
  auto i = static_cast<std::size_t>(reason);
  if (i < kExitReasons) area_->retired.restarts[i].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace gpp::core::metrics
