#pragma once
// request_timeout for a worker whose requests all run on one thread (coro):
// a request stuck in a CPU loop or a C call blocks that thread, and with it
// the event loop, so the check cannot live on the loop. A small C++ thread
// looks at the oldest requests every 200 ms, without the GIL. For a request
// past the limit it logs the request line and the stuck Python stack (taken
// on a helper thread, which waits for the GIL), then asks the worker to
// recycle; when the worker is still alive graceful_timeout (+2 s) after
// that, it calls `give_up` (the loop is blocked: exit from this thread).
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace gpp::workers {

class RequestWatchdog {
 public:
  struct Hooks {
    /// The Python stack of the request whose handle is given (or of the
    /// loop's thread when it is nullptr), consuming the handle. Takes the
    /// GIL; runs on a helper thread.
    std::function<std::string(void* handle)> stack;
    /// Ask the worker to stop gracefully (thread-safe).
    std::function<void()> recycle;
    /// graceful_timeout passed since recycle() and the worker still runs:
    /// end it. `running` requests are still inside the app.
    std::function<void(std::size_t running)> give_up;
  };

  RequestWatchdog(double request_timeout_s, double graceful_timeout_s, Hooks hooks);
  /// Stops the thread (call without the GIL: give_up may be taking it).
  ~RequestWatchdog();
  RequestWatchdog(const RequestWatchdog&) = delete;
  RequestWatchdog& operator=(const RequestWatchdog&) = delete;

  struct Entry;
  /// A request starts (loop thread). `handle` (may be null) is handed to
  /// Hooks::stack if the request times out.
  Entry* begin(std::string what, void* handle);
  /// The request is done (loop thread). Returns its handle if the watchdog
  /// did not take it (the caller releases it), else nullptr.
  void* end(Entry* e);

 private:
  void loop();
  void report(Entry& e);

  using Clock = std::chrono::steady_clock;
  Clock::duration timeout_;
  Clock::duration graceful_;
  Hooks hooks_;
  std::mutex mutex_;
  std::condition_variable cv_;
  Entry* head_ = nullptr;  ///< oldest first (requests are appended as they start)
  Entry* tail_ = nullptr;
  Entry* spare_ = nullptr;  ///< freed entries, reused
  std::size_t running_ = 0;
  bool stop_ = false;
  bool recycled_ = false;
  bool gave_up_ = false;
  Clock::time_point give_up_at_;
  std::thread thread_;
};

}  // namespace gpp::workers
