#pragma once
// gevent for the coro worker (DESIGN.md "Worker classes"; reference/coro-notes.md
// candidate A): gevent's hub drives, a gevent io watcher on the engine's
// reactor fd runs the engine's poll(), and each request runs in its own
// greenlet started with loop.run_callback. Plain C++ API; main thread only,
// called with the GIL held unless a function says otherwise.
#include <functional>
#include <memory>
#include <string>

namespace gpp::py {

/// gunicorn's GeventWorker.patch(): import gevent and run
/// gevent.monkey.patch_all(). Call after fork and before the app is imported.
/// Returns "" on success, else why gevent is unusable (nothing was patched).
[[nodiscard]] std::string gevent_patch_all();

/// In the arbiter, before forking coro workers: import gevent and
/// gevent.monkey without patching, so each worker inherits them (gunicorn's
/// arbiter imports its gevent worker class, and with it gevent, the same way).
/// Saves every worker about 0.3 s of CPU at boot (gevent.events pulls in
/// pkg_resources). Errors are ignored: the worker reports them.
void gevent_preimport() noexcept;

/// The hub loop of one coro worker. Create it after fork, after gevent_patch_all().
class GeventHub {
 public:
  /// `poll` runs the engine's ready handlers and returns true once it has
  /// stopped; it is called when `reactor_fd` is readable and after wake().
  /// `run_request` runs one request inside its own greenlet (spawn()).
  GeventHub(int reactor_fd, std::function<bool()> poll, std::function<void(void*)> run_request);
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
