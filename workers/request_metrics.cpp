#include "workers/request_metrics.hpp"

#include <time.h>

namespace gpp::workers::request_metrics {
namespace {

struct List {
  InFlight* head = nullptr;
  InFlight* tail = nullptr;
  std::uint32_t size = 0;
};
List g_list;  // one thread touches it (see InFlight)

std::int64_t monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no syscall
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

void InFlight::link() noexcept {
  core::metrics::WorkerSlot* slot = detail::g_slot;
  start_ns_ = monotonic_ns();
  linked_ = true;
  prev_ = g_list.tail;
  if (g_list.tail) g_list.tail->next_ = this;
  else g_list.head = this;
  g_list.tail = this;
  ++g_list.size;
  constexpr auto r = std::memory_order_relaxed;
  if (g_list.head == this) slot->oldest_start_ns.store(start_ns_, r);
  slot->in_flight.store(g_list.size, r);
}

void InFlight::unlink() noexcept {
  if (prev_) prev_->next_ = next_;
  else g_list.head = next_;
  if (next_) next_->prev_ = prev_;
  else g_list.tail = prev_;
  --g_list.size;
  if (core::metrics::WorkerSlot* slot = detail::g_slot) {
    constexpr auto r = std::memory_order_relaxed;
    slot->in_flight.store(g_list.size, r);
    slot->oldest_start_ns.store(g_list.head ? g_list.head->start_ns_ : 0, r);
  }
}

}  // namespace gpp::workers::request_metrics
