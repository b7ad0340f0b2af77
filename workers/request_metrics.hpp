#pragma once
// The worker's side of --metrics-bind: this process's slot in the arbiter's
// shared memory (core/metrics/shm_layout.hpp). Everything here is a no-op
// (one branch) when the metrics endpoint is off.
#include <chrono>
#include <cstdint>

#include "core/metrics/shm_layout.hpp"

namespace gpp::workers::request_metrics {

namespace detail {
inline core::metrics::WorkerSlot* g_slot = nullptr;  ///< set once in the child, before any request
}

/// Use `slot` (nullptr: metrics off). Call once in the worker after fork.
inline void attach(core::metrics::WorkerSlot* slot) noexcept { detail::g_slot = slot; }

[[nodiscard]] inline bool enabled() noexcept { return detail::g_slot != nullptr; }

/// Count one finished request (any thread).
inline void count(int status, std::int64_t duration_us) noexcept {
  if (auto* slot = detail::g_slot)
    core::metrics::record_request(*slot, status, duration_us > 0 ? static_cast<std::uint64_t>(duration_us) : 0);
}

/// Why this worker is about to exit (max_requests, request_timeout); the arbiter reads it after the reap.
inline void mark_exit(core::metrics::ExitReason reason) noexcept {
  if (auto* slot = detail::g_slot)
    slot->exit_reason.store(static_cast<std::uint32_t>(reason), std::memory_order_relaxed);
}

/// A request inside the app, from hand-over to the end of its response
/// (RAII). Requests start in time order, so the oldest is the head of an
/// intrusive list: the slot's in-flight count and oldest start are exact for
/// any number of concurrent requests (gthread threads, coro greenlets).
/// Only ever used from one thread per process: the sync worker's loop, or
/// the engine's I/O thread (dispatch runs there for gthread and coro).
class InFlight {
 public:
  InFlight() noexcept {
    if (detail::g_slot) link();  // metrics off: this branch is all it costs
  }
  ~InFlight() {
    if (linked_) unlink();
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  void link() noexcept;
  void unlink() noexcept;

  InFlight* prev_ = nullptr;
  InFlight* next_ = nullptr;
  std::int64_t start_ns_ = 0;
  bool linked_ = false;
};

}  // namespace gpp::workers::request_metrics
