#include "workers/thread_worker.hpp"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <csignal>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/http/response.hpp"
#include "core/log/error_log.hpp"
#include "python_shim/interpreter.hpp"
#include "python_shim/threads.hpp"
#include "python_shim/wsgi_app.hpp"
#include "workers/access_log.hpp"
#include "workers/blocking_io.hpp"
#include "workers/engine/engine.hpp"
#include "workers/request_metrics.hpp"
#include "workers/socket_sink.hpp"

namespace gpp::workers {
namespace {

using Clock = std::chrono::steady_clock;

long long now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

/// What one pool thread is doing, for request_timeout.
struct Slot {
  std::atomic<long long> started_ns{0};  ///< 0 = idle
  std::atomic<bool> reported{false};
  unsigned long ident = 0;               ///< Python thread id, set once at start
  std::mutex mutex;
  std::string what;                      ///< "GET /path" of the running request
};

class ThreadPool final : public engine::AppRunner {
 public:
  ThreadPool(py::WsgiApp& app, engine::Engine& eng, std::size_t threads, double request_timeout,
             double heartbeat_timeout)
      : app_(app),
        engine_(eng),
        slots_(threads),
        timeout_ns_(static_cast<long long>(request_timeout * 1e9)),
        gil_limit_ns_(static_cast<long long>(heartbeat_timeout * 1e9)) {
    gil_seen_ns_ = now_ns();
    // Signals go to the I/O thread: pool threads start with all of them blocked.
    sigset_t all, old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this, i] { thread_main(slots_[i]); });
    watcher_ = std::thread([this] { watch_for_stalls(); });
    if (gil_limit_ns_ > 0) probe_ = std::thread([this] { gil_probe(); });
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }

  void start(engine::Exchange& ex) override {
    busy_.fetch_add(1, std::memory_order_relaxed);
    bool wake = false, watch = false;
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(&ex);
      if (runners_ + wakeups_ == 0 && idle_ > 0) {
        ++wakeups_;
        wake = true;
      } else {
        watch = !watch_armed_;
      }
    }
    if (wake) cv_.notify_one();
    else if (watch) watch_cv_.notify_one();
  }

  [[nodiscard]] std::size_t busy() const noexcept override { return busy_.load(); }

  /// gunicorn's gthread beats from its main thread, which needs the GIL: an
  /// app stuck in C code holding the GIL stops the beat and the arbiter's
  /// timeout applies. Our I/O thread never takes the GIL, so a probe thread
  /// takes it once a second and the beat stops when it could not for
  /// `timeout`. A pure-Python loop still lets it through (as gunicorn).
  [[nodiscard]] bool healthy() const noexcept override {
    return gil_limit_ns_ <= 0 || now_ns() - gil_seen_ns_.load() < gil_limit_ns_;
  }

  void tick() override {
    if (timeout_ns_ <= 0) return;
    long long now = now_ns();
    for (Slot& s : slots_) {
      long long started = s.started_ns.load();
      if (started == 0 || now - started < timeout_ns_ || s.reported.exchange(true)) continue;
      std::string what;
      {
        std::lock_guard lock(s.mutex);
        what = s.what;
      }
      report_timeout(s.ident, what, static_cast<double>(timeout_ns_) / 1e9);
      request_metrics::mark_exit(core::metrics::ExitReason::RequestTimeout);
      engine_.recycle();
    }
  }

  /// Stop the threads. Joins them when none is busy; otherwise detaches them
  /// (a stuck request) and returns false: the caller must then leak what they use.
  bool shutdown() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    watch_cv_.notify_all();
    if (watcher_.joinable()) watcher_.join();
    cv_probe_.notify_all();
    bool clean = busy_.load() == 0;
    for (auto& t : threads_) {
      if (clean) t.join();
      else t.detach();
    }
    threads_.clear();
    if (probe_.joinable()) {
      if (clean) probe_.join();
      else probe_.detach();
    }
    return clean;
  }

 private:
  static void report_timeout(unsigned long ident, const std::string& what, double limit) {
    std::string head = "Request exceeded request_timeout (" + std::to_string(static_cast<long>(limit)) +
                       "s) in worker (pid:" + std::to_string(::getpid()) + "): " + what +
                       "; recycling the worker";
    // Formatting the stack takes the GIL: never on the I/O thread.
    std::thread([ident, head] {
      std::string stack = py::format_thread_stack(ident);
      core::log::error(head + (stack.empty() ? std::string() : "\n" + stack));
    }).detach();
  }

  void gil_probe() {
    py::PythonThread python;
    std::unique_lock lock(mutex_);
    while (!stop_) {
      cv_probe_.wait_for(lock, std::chrono::seconds(1));
      if (stop_) break;
      lock.unlock();
      {
        py::GilHold gil;
      }
      gil_seen_ns_ = now_ns();
      lock.lock();
    }
  }

  /// Next queued request; when there is none, this thread stops being a
  /// runner (in the same critical section, so start() never misses it).
  engine::Exchange* pop_or_retire() {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
      --runners_;
      return nullptr;
    }
    engine::Exchange* ex = queue_.front();
    queue_.pop_front();
    ++popped_;
    return ex;
  }

  // Scheduling (why not "wake a thread per request"): every thread woken
  // while another runs Python waits for the GIL, and CPython then forces a
  // GIL switch every 5 ms, parking a half-run request each time; under load
  // that put a few ms on one request in a hundred (the p99 at -c1000). So one
  // runner drains the queue under one GIL hold, popping only while it holds
  // the GIL (FIFO), and another thread is woken only when the queue makes no
  // progress for kStall: the runner is blocked (sleep, socket, DB) or busy
  // with a long request.
  static constexpr auto kStall = std::chrono::milliseconds(1);

  void thread_main(Slot& slot) {
    py::PythonThread python;
    slot.ident = py::current_thread_ident();
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        if (queue_.empty() || runners_ + wakeups_ > 0) {
          ++idle_;
          cv_.wait(lock, [this] { return stop_ || wakeups_ > 0; });
          --idle_;
          if (wakeups_ == 0) return;  // stop_, and nothing was handed to this thread
          --wakeups_;
        }
        // else: requests queued before any thread was idle (start-up): take them.
        ++runners_;
      }
      py::GilHold gil;
      while (engine::Exchange* ex = pop_or_retire()) run(*ex, slot);
    }
  }

  /// Wakes one more thread when requests wait and none was taken for kStall.
  /// Ticks only while some thread runs requests and another is idle (under
  /// load: one wake-up per kStall, not one per request).
  void watch_for_stalls() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      if (runners_ == 0 || idle_ <= wakeups_) {
        watch_armed_ = false;
        watch_cv_.wait(lock);
        continue;
      }
      watch_armed_ = true;
      std::uint64_t seen = popped_;
      watch_cv_.wait_for(lock, kStall);
      if (!stop_ && popped_ == seen && !queue_.empty() && idle_ > wakeups_) {
        ++wakeups_;
        cv_.notify_one();
      }
    }
  }

  void run(engine::Exchange& ex, Slot& slot) {
    if (timeout_ns_ > 0) {
      {
        std::lock_guard lock(slot.mutex);
        slot.what.assign(ex.request.head->method);
        slot.what += ' ';
        slot.what.append(ex.request.head->target);
      }
      slot.reported = false;
      slot.started_ns = now_ns();
    }
    // The app thread writes the response itself (no hand-off to the I/O
    // thread per write: measured faster than posting writes).
    SocketSink sink(ex.fd, ex.io_timeout_ms);
    auto start = Clock::now();
    ex.result = app_.call(ex.request, ex.framer, sink);
    bool failed = ex.result == py::CallResult::ErrorBeforeHead;
    log_access({.request = &ex.request, .response = &ex.framer,
                .error_status = failed ? "500 Internal Server Error" : "", .start = start});
    if (failed) {
      py::GilRelease nogil;
      write_all(ex.fd, core::http::error_response(500, "Internal Server Error", ""), ex.io_timeout_ms);
    }
    slot.started_ns = 0;
    busy_.fetch_sub(1, std::memory_order_relaxed);
    engine_.finished(ex);
  }

  py::WsgiApp& app_;
  engine::Engine& engine_;
  std::vector<Slot> slots_;
  long long timeout_ns_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable cv_;        ///< idle threads wait here for a wake-up
  std::condition_variable watch_cv_;  ///< the stall watcher waits here
  std::thread watcher_;
  // Guarded by mutex_:
  std::deque<engine::Exchange*> queue_;
  bool stop_ = false;
  std::size_t idle_ = 0;     ///< threads waiting in cv_
  std::size_t wakeups_ = 0;  ///< wake-ups handed out, not yet taken by a thread
  std::size_t runners_ = 0;  ///< threads draining the queue
  std::uint64_t popped_ = 0; ///< requests taken so far (the watcher's progress mark)
  bool watch_armed_ = false; ///< the watcher is in its timed wait
  std::atomic<std::size_t> busy_{0};
  long long gil_limit_ns_;
  std::atomic<long long> gil_seen_ns_{0};
  std::condition_variable cv_probe_;
  std::thread probe_;
};

}  // namespace

int run_thread_worker(WorkerContext& ctx, py::WsgiApp& app, WorkerFlags& flags, int wake_fd) {
  engine::raise_fd_limit();
  const config::Config& cfg = *ctx.cfg;
  auto threads = static_cast<std::size_t>(std::max<long>(1, cfg.get_int("threads")));
  auto connections = static_cast<std::size_t>(std::max<long>(1, cfg.get_int("worker_connections")));
  engine::EngineOptions opts;
  opts.multithread = true;  // gunicorn's gthread sets it whatever --threads is
  opts.max_keepalived = connections > threads ? connections - threads : 0;
  if (opts.max_keepalived == 0 && cfg.get_double("keepalive") > 0)
    core::log::warning("No keepalived connections can be handled. Check the number of worker connections and threads.");

  py::GilRelease nogil;  // the pool threads take the GIL per request
  // Both are leaked when a stuck request outlives the drain: its thread still
  // points into them while the process exits.
  auto* eng = new engine::Engine(ctx, flags, wake_fd, opts);
  auto* pool = new ThreadPool(app, *eng, threads, cfg.get_double("request_timeout"), cfg.get_double("timeout"));
  // This (the I/O) thread as SCHED_BATCH: a runner's finished-request post
  // wakes it without preempting the runner, which goes on to the next queued
  // request; the I/O thread then handles the completions together. At
  // wrk -c1000 context switches per request fell 0.80 -> 0.64 and p99 46 ->
  // 41 ms (medians of 7 alternated runs; docs/benchmarks.md). It still gets
  // its fair share of the CPU; the runners stay SCHED_OTHER.
  sched_param batch{};
  ::sched_setscheduler(0, SCHED_BATCH, &batch);
  std::size_t still_running = eng->run(*pool);
  if (still_running == 0 && pool->shutdown()) {
    delete pool;
    delete eng;
    return 0;
  }
  if (!flags.quick_exit)
    core::log::warning("Worker exiting with " + std::to_string(still_running) +
                       " request(s) still running after graceful_timeout");
  pool->shutdown();
  return 0;
}

}  // namespace gpp::workers
