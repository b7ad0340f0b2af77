#include "workers/request_watchdog.hpp"

#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <utility>

#include "core/log/error_log.hpp"

namespace gpp::workers {

using namespace std::chrono_literals;

struct RequestWatchdog::Entry {
  Clock::time_point start;
  std::string what;
  void* handle = nullptr;
  bool reported = false;
  Entry* prev = nullptr;
  Entry* next = nullptr;
};

namespace {

std::chrono::steady_clock::duration seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

RequestWatchdog::RequestWatchdog(double request_timeout_s, double graceful_timeout_s, Hooks hooks)
    : timeout_(seconds(request_timeout_s)), graceful_(seconds(graceful_timeout_s)), hooks_(std::move(hooks)) {
  // Signals stay with the worker's own threads.
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  thread_ = std::thread([this] { loop(); });
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

RequestWatchdog::~RequestWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (Entry* e = head_; e;) delete std::exchange(e, e->next);
  for (Entry* e = spare_; e;) delete std::exchange(e, e->next);
}

RequestWatchdog::Entry* RequestWatchdog::begin(std::string what, void* handle) {
  std::lock_guard lock(mutex_);
  Entry* e = spare_ ? std::exchange(spare_, spare_->next) : new Entry;
  e->start = Clock::now();
  e->what = std::move(what);
  e->handle = handle;
  e->reported = false;
  e->next = nullptr;
  e->prev = tail_;
  (tail_ ? tail_->next : head_) = e;
  tail_ = e;
  ++running_;
  return e;
}

void* RequestWatchdog::end(Entry* e) {
  std::lock_guard lock(mutex_);
  (e->prev ? e->prev->next : head_) = e->next;
  (e->next ? e->next->prev : tail_) = e->prev;
  --running_;
  void* handle = std::exchange(e->handle, nullptr);
  e->next = spare_;
  spare_ = e;
  return handle;
}

void RequestWatchdog::loop() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    cv_.wait_for(lock, 200ms);
    if (stop_) return;
    Clock::time_point now = Clock::now();
    // Oldest first: stop at the first request still within the limit.
    for (Entry* e = head_; e && now - e->start >= timeout_; e = e->next)
      if (!e->reported) report(*e);
    if (recycled_ && !gave_up_ && now >= give_up_at_) {
      gave_up_ = true;
      std::size_t running = running_;
      lock.unlock();
      hooks_.give_up(running);  // normally does not return
      lock.lock();
    }
  }
}

void RequestWatchdog::report(Entry& e) {
  e.reported = true;
  auto limit = std::chrono::duration_cast<std::chrono::seconds>(timeout_).count();
  std::string head = "Request exceeded request_timeout (" + std::to_string(limit) + "s) in worker (pid:" +
                     std::to_string(::getpid()) + "): " + e.what + "; recycling the worker";
  // The stack needs the GIL, which a stuck loop thread gives up only now and
  // then (or never, inside a C call): a helper thread waits for it, so this
  // thread still ends the worker on time.
  std::thread([stack = hooks_.stack, handle = std::exchange(e.handle, nullptr), head] {
    std::string s = stack(handle);
    core::log::error(head + (s.empty() ? std::string() : "\n" + s));
  }).detach();
  if (!recycled_) {
    recycled_ = true;
    give_up_at_ = Clock::now() + graceful_ + 2s;
    hooks_.recycle();
  }
}

}  // namespace gpp::workers
