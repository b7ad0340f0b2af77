#pragma once
// gevent for the coro worker (DESIGN.md "Worker classes"; reference/coro-notes.md
// candidate A): gevent's hub drives, a gevent io watcher on the engine's
// reactor fd runs the engine's poll(), and each request runs in its own
// greenlet started with loop.run_callback. Plain C++ API; main thread only,
// called with the GIL held unless a function says otherwise.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace gpp::py {

/// gunicorn's GeventWorker.patch(): import gevent and run
/// gevent.monkey.patch_all(). Call after fork and before the app is imported.
/// Returns "" on success, else why gevent is unusable (nothing was patched).
/// time.sleep then becomes ours: gevent's sleep, except in the greenlets of
/// a running GeventHub, where it waits on the engine's timer (GeventHub).
[[nodiscard]] std::string gevent_patch_all();

/// In the arbiter, before forking coro workers: import gevent and
/// gevent.monkey without patching, so each worker inherits them (gunicorn's
/// arbiter imports its gevent worker class, and with it gevent, the same way).
/// Saves every worker about 0.3 s of CPU at boot (gevent.events pulls in
/// pkg_resources). Errors are ignored: the worker reports them.
void gevent_preimport() noexcept;

/// What the hub drives: the engine's side of the loop.
struct HubLoop {
  int reactor_fd = -1;  ///< readable when poll has work
  /// Runs at most `max_handlers` ready handlers; sets `more` when that budget
  /// ran out. Returns true once the engine has stopped.
  std::function<bool(std::size_t max_handlers, bool& more)> poll;
  /// Runs one request inside its own greenlet (spawn()).
  std::function<void(void*)> run_request;
  /// Runs a function from a later poll after a delay (nanosecond precision);
  /// returns its cancel. time.sleep in greenlets waits on it.
  std::function<std::function<void()>(std::chrono::nanoseconds, std::function<void()>)> call_after;
};

/// The hub loop of one coro worker. Create it after fork, after gevent_patch_all().
/// While it exists, time.sleep in its greenlets waits on loop.call_after.
class GeventHub {
 public:
  /// poll is called when `reactor_fd` is readable and after wake().
  explicit GeventHub(HubLoop loop);
  ~GeventHub();
  GeventHub(const GeventHub&) = delete;
  GeventHub& operator=(const GeventHub&) = delete;

  /// Run the hub until `poll` returns true.
  void run();
  /// Start a greenlet (parent: the hub) that calls run_request(request), on
  /// the hub's next callback round (never inside poll()). With `keep`, returns
  /// a new reference to the greenlet (for greenlet_stack(); drop it with
  /// release()), else nullptr.
  void* spawn(void* request, bool keep = false);
  /// Call `poll` on the hub's next callback round (at most once per round).
  /// Needed after every post to the engine made outside `poll`.
  void wake();
  /// From inside a request greenlet, with or without the GIL: wait until `fd`
  /// is writable, letting the other greenlets run. false on timeout or error.
  static bool wait_writable(int fd, int timeout_ms);
  /// Drop a reference spawn() returned (GIL held).
  static void release(void* greenlet);
  /// From any thread (takes the GIL): the Python stack of `greenlet` in
  /// traceback format, consuming the reference. A greenlet that is running
  /// right now (it blocks the hub) has no saved frame: then the stack of
  /// thread `thread_ident` (the hub's) is the one. nullptr: that thread's.
  static std::string greenlet_stack(void* greenlet, unsigned long thread_ident);

 struct Impl;  ///< gevent_hub.cpp only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpp::py
