#include "python_shim/gevent_hub.hpp"

#include <Python.h>
#include <pybind11/embed.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "python_shim/support_module.hpp"

namespace gpp::py {
namespace pyb = pybind11;

namespace {
void install_sleep();
}  // namespace

std::string gevent_patch_all() {
  try {
    pyb::module_::import("gevent");
    pyb::module_::import("gevent.monkey").attr("patch_all")();
    support().attr("client_socket_class")(true);  // gunicorn.socket's class, imported now
    install_sleep();
    return "";
  } catch (pyb::error_already_set& e) {
    return e.what();
  }
}

void gevent_preimport() noexcept {
  // Everything patch_all() would import or compute in each worker, done once
  // here: the modules it patches with, gevent.events (which imports
  // pkg_resources, ~200 ms) and the plugin entry points it loads on every
  // patch event (their requirement check, ~40 ms). patch_all() after fork
  // then costs ~15 ms instead of ~260 ms per worker.
  static const char* const kModules[] = {
      "gevent.monkey", "gevent.events", "gevent.socket", "gevent.ssl", "gevent.select",
      "gevent.selectors", "gevent.threading", "gevent.thread", "gevent.time", "gevent.os",
      "gevent.signal", "gevent.subprocess", "gevent.queue", "gevent.builtins", "gevent.event",
      "gevent.local", "gevent.lock", "gevent.threadpool", "ssl", "subprocess", "selectors"};
  for (const char* name : kModules) {
    try {
      pyb::module_::import(name);
    } catch (pyb::error_already_set&) {  // an older gevent without it: patch_all copes
    }
  }
  try {
    pyb::module_ events = pyb::module_::import("gevent.events");
    if (!pyb::hasattr(events, "iter_entry_points")) return;  // a newer gevent: nothing to warm
    pyb::object iter_entry_points = events.attr("iter_entry_points");
    for (const char* event : {"GeventWillPatchModuleEvent", "GeventDidPatchModuleEvent", "GeventWillPatchAllEvent",
                              "GeventDidPatchBuiltinModulesEvent", "GeventDidPatchAllEvent"}) {
      if (!pyb::hasattr(events, event)) continue;
      for (pyb::handle entry : iter_entry_points(events.attr(event).attr("ENTRY_POINT_NAME"))) entry.attr("load")();
    }
  } catch (pyb::error_already_set&) {  // a broken plugin fails in patch_all, where it is reported
  }
}

struct GeventHub::Impl {
  HubLoop engine;
  unsigned long thread = 0;  ///< the hub's thread (PyThread_get_thread_ident)
  pyb::object loop;
  pyb::object hub;
  pyb::object watcher;
  pyb::object done;         ///< gevent.event.Event: set when the engine stopped
  pyb::object poll_cb;      ///< calls poll (watcher callback and wake-up callback)
  pyb::object runner;       ///< a greenlet's run: runner(request address)
  pyb::object greenlet_type;
  pyb::object run_callback;
  pyb::object switch_name;  ///< interned "switch"
  pyb::object getcurrent;   ///< greenlet.getcurrent
  pyb::object hub_switch;   ///< hub.switch: where a finished request greenlet parks
  /// Parked request greenlets with their bound switch, reused by spawn(): a
  /// new greenlet per request cost about 4k instructions more. Owned
  /// references, leaked at exit on purpose (destroying a suspended greenlet
  /// raises GreenletExit inside it).
  std::vector<std::pair<PyObject*, PyObject*>> idle;
  static constexpr std::size_t kMaxIdle = 128;
  bool woken = false;   ///< a poll_cb is queued on the loop
  bool stopped = false;

  /// Handlers per poll round. A round that ran every ready handler kept a
  /// batch of requests together for good: the requests read in one round
  /// start their sleeps back to back, wake in one round, answer together,
  /// and the client's next requests arrive together again. Each request then
  /// waited for its whole batch twice a cycle (batches of 25-65 at 200
  /// connections: ~1.5 ms). Small rounds interleave the answers with the
  /// next requests, and the batch spreads out (docs/design.md, "The sleep
  /// test and waves").
  static constexpr std::size_t kHandlersPerRound = 4;

  void on_poll() {
    woken = false;
    if (stopped) return;
    bool more = false;
    if (engine.poll(kHandlersPerRound, more)) {
      stopped = true;
      watcher.attr("stop")();
      done.attr("set")();
    } else if (more) {
      wake();  // the rest after the greenlets this round started
    }
  }

  void wake() {
    if (woken || stopped) return;
    woken = true;
    PyObject* args[] = {poll_cb.ptr()};
    auto r = pyb::reinterpret_steal<pyb::object>(PyObject_Vectorcall(run_callback.ptr(), args, 1, nullptr));
    if (!r) throw pyb::error_already_set();
  }
};

namespace {

constexpr const char* kCapsuleName = "gunicornpp.coro_hub";

/// The running hub (time.sleep's), and gevent's sleep (owned, never freed).
GeventHub::Impl* g_running = nullptr;
PyObject* g_gevent_sleep = nullptr;

GeventHub::Impl* impl_of(PyObject* capsule) {
  return static_cast<GeventHub::Impl*>(PyCapsule_GetPointer(capsule, kCapsuleName));
}

/// Runs `f`; a C++ exception becomes the Python error (false) for the caller
/// to return nullptr with: nothing may unwind through the interpreter.
template <class F>
bool without_exceptions(F&& f) {
  try {
    f();
    return true;
  } catch (pyb::error_already_set& e) {
    e.restore();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return false;
}

PyObject* poll_c(PyObject* self, PyObject* /*unused*/) {
  if (!without_exceptions([self] { impl_of(self)->on_poll(); })) return nullptr;
  Py_RETURN_NONE;
}

/// A request greenlet's run(address of the request): runs it, then parks in
/// the hub (Impl::idle) until spawn() switches back with the next request.
PyObject* run_c(PyObject* self, PyObject* arg) {
  GeventHub::Impl& d = *impl_of(self);
  pyb::object me, me_switch;
  auto next = pyb::reinterpret_borrow<pyb::object>(arg);
  for (;;) {
    void* request = PyLong_AsVoidPtr(next.ptr());
    if (!request && PyErr_Occurred()) return nullptr;
    if (!without_exceptions([&d, request] { d.engine.run_request(request); })) return nullptr;
    if (d.stopped || d.idle.size() >= GeventHub::Impl::kMaxIdle) Py_RETURN_NONE;
    if (!me) {
      me = pyb::reinterpret_steal<pyb::object>(PyObject_CallNoArgs(d.getcurrent.ptr()));
      if (!me) return nullptr;
      me_switch = pyb::reinterpret_steal<pyb::object>(PyObject_GetAttr(me.ptr(), d.switch_name.ptr()));
      if (!me_switch) return nullptr;
    }
    d.idle.emplace_back(pyb::object(me).release().ptr(), pyb::object(me_switch).release().ptr());
    next = pyb::reinterpret_steal<pyb::object>(PyObject_CallNoArgs(d.hub_switch.ptr()));
    if (!next) return nullptr;  // GreenletExit and friends: end this greenlet
  }
}

/// One greenlet's time.sleep on the engine's timer.
struct Sleep {
  bool fired = false;
  bool abandoned = false;  ///< the sleeper was thrown out (gevent.Timeout, kill)
};

/// time.sleep(seconds) while a hub runs: a request greenlet waits on an Asio
/// timer (the engine's timerfd) instead of a libev timer. libev sleeps in
/// whole milliseconds (at least 1 ms once a timer is near), so all the sleeps
/// due within a millisecond woke together, late, and held their requests in
/// one batch (Impl::kHandlersPerRound). Anything else goes to gevent's sleep:
/// no hub yet (import time), the hub itself, another thread, 0 or less
/// (gevent's yield), or longer than a day. NaN and infinity raise as in CPython.
PyObject* sleep_c(PyObject* /*self*/, PyObject* arg) {
  GeventHub::Impl* d = g_running;
  double seconds = PyFloat_AsDouble(arg);
  if (seconds == -1.0 && PyErr_Occurred()) return nullptr;
  // CPython's errors: gevent's sleep would never return from these.
  if (std::isnan(seconds)) {
    PyErr_SetString(PyExc_ValueError, "Invalid value NaN (not a number)");
    return nullptr;
  }
  if (std::isinf(seconds) && seconds > 0) {
    PyErr_SetString(PyExc_OverflowError, "timestamp too large to convert to C _PyTime_t");
    return nullptr;
  }
  if (!d || !(seconds > 0 && seconds <= 86400) || PyThread_get_thread_ident() != d->thread)
    return PyObject_CallOneArg(g_gevent_sleep, arg);
  auto me = pyb::reinterpret_steal<pyb::object>(PyObject_CallNoArgs(d->getcurrent.ptr()));
  if (!me) return nullptr;
  if (me.ptr() == d->hub.ptr()) return PyObject_CallOneArg(g_gevent_sleep, arg);
  auto wake_me = pyb::reinterpret_steal<pyb::object>(PyObject_GetAttr(me.ptr(), d->switch_name.ptr()));
  if (!wake_me) return nullptr;
  auto state = std::make_shared<Sleep>();
  std::function<void()> cancel;
  bool scheduled = without_exceptions([&] {
    auto delay = std::chrono::nanoseconds(static_cast<long long>(seconds * 1e9));
    cancel = d->engine.call_after(delay, [d, state, wake_me = std::move(wake_me)] {
      if (state->abandoned) return;
      state->fired = true;
      PyObject* args[] = {wake_me.ptr()};
      auto r = pyb::reinterpret_steal<pyb::object>(PyObject_Vectorcall(d->run_callback.ptr(), args, 1, nullptr));
      if (!r) throw pyb::error_already_set();
    });
  });
  if (!scheduled) return nullptr;
  while (!state->fired) {  // a stray switch into this greenlet: sleep on
    PyObject* r = PyObject_CallNoArgs(d->hub_switch.ptr());
    if (!r) {
      state->abandoned = true;
      cancel();
      return nullptr;
    }
    Py_DECREF(r);
  }
  Py_RETURN_NONE;
}

PyMethodDef g_sleep_def = {"sleep", sleep_c, METH_O,
                           "sleep(seconds)\n\ntime.sleep for gevent greenlets, on gunicornpp's engine timer."};

void install_sleep() {
  pyb::module_ time = pyb::module_::import("time");
  pyb::object gevent_sleep = time.attr("sleep");
  auto ours = pyb::reinterpret_steal<pyb::object>(PyCFunction_New(&g_sleep_def, nullptr));
  if (!ours) throw pyb::error_already_set();
  if (g_gevent_sleep == nullptr) g_gevent_sleep = gevent_sleep.release().ptr();
  time.attr("sleep") = ours;
}

PyMethodDef g_poll_def = {"coro_poll", poll_c, METH_NOARGS, "Run the engine's ready handlers."};
PyMethodDef g_run_def = {"coro_request", run_c, METH_O, "Run one request (a greenlet's run)."};

}  // namespace

GeventHub::GeventHub(HubLoop loop) : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.engine = std::move(loop);
  d.thread = PyThread_get_thread_ident();
  d.hub = pyb::module_::import("gevent").attr("get_hub")();
  d.loop = d.hub.attr("loop");
  d.run_callback = d.loop.attr("run_callback");
  d.greenlet_type = pyb::module_::import("greenlet").attr("greenlet");
  d.switch_name = pyb::reinterpret_steal<pyb::object>(PyUnicode_InternFromString("switch"));
  d.getcurrent = pyb::module_::import("greenlet").attr("getcurrent");
  // greenlet's own switch, bound to the hub: gevent's Hub.switch first looks
  // up `switch_out` on the current greenlet (an AttributeError each time).
  d.hub_switch = d.greenlet_type.attr("switch").attr("__get__")(d.hub);
  d.done = pyb::module_::import("gevent.event").attr("Event")();
  // Raw C functions, not pybind11's cpp_function: pybind11 keeps a per-thread
  // stack of argument-loader frames, and greenlets switching away inside a
  // cpp_function would unwind it out of order ("loader_life_support: internal error").
  pyb::capsule self(static_cast<void*>(&d), kCapsuleName);
  d.poll_cb = pyb::reinterpret_steal<pyb::object>(PyCFunction_New(&g_poll_def, self.ptr()));
  if (!d.poll_cb) throw pyb::error_already_set();
  d.runner = pyb::reinterpret_steal<pyb::object>(PyCFunction_New(&g_run_def, self.ptr()));
  if (!d.runner) throw pyb::error_already_set();
  d.watcher = d.loop.attr("io")(d.engine.reactor_fd, 1);  // 1: READ
  if (g_gevent_sleep != nullptr) g_running = &d;
}

GeventHub::~GeventHub() {
  if (g_running == impl_.get()) g_running = nullptr;
  if (impl_ && impl_->watcher) impl_->watcher.attr("close")();
}

void GeventHub::run() {
  Impl& d = *impl_;
  d.watcher.attr("start")(d.poll_cb);
  // The first poll starts the engine's coroutines (posted before any poll()).
  wake();
  d.done.attr("wait")();
}

void* GeventHub::spawn(void* request, bool keep) {
  // Raw C API calls: through pybind11 (argument tuples, casts) starting a
  // greenlet cost 4.2k instructions per request, now 3.3k; a parked greenlet
  // (Impl::idle) costs neither the object nor its bootstrap (docs/design.md).
  Impl& d = *impl_;
  pyb::object g, sw;
  if (!d.idle.empty()) {
    g = pyb::reinterpret_steal<pyb::object>(d.idle.back().first);
    sw = pyb::reinterpret_steal<pyb::object>(d.idle.back().second);
    d.idle.pop_back();
  } else {
    PyObject* gargs[] = {d.runner.ptr(), d.hub.ptr()};
    g = pyb::reinterpret_steal<pyb::object>(PyObject_Vectorcall(d.greenlet_type.ptr(), gargs, 2, nullptr));
    if (!g) throw pyb::error_already_set();
    sw = pyb::reinterpret_steal<pyb::object>(PyObject_GetAttr(g.ptr(), d.switch_name.ptr()));
    if (!sw) throw pyb::error_already_set();
  }
  auto address = pyb::reinterpret_steal<pyb::object>(PyLong_FromVoidPtr(request));
  if (!address) throw pyb::error_already_set();
  PyObject* cargs[] = {sw.ptr(), address.ptr()};
  auto r = pyb::reinterpret_steal<pyb::object>(PyObject_Vectorcall(d.run_callback.ptr(), cargs, 2, nullptr));
  if (!r) throw pyb::error_already_set();
  return keep ? g.release().ptr() : nullptr;
}

void GeventHub::release(void* greenlet) { Py_XDECREF(static_cast<PyObject*>(greenlet)); }

std::string GeventHub::greenlet_stack(void* greenlet, unsigned long thread_ident) {
  if (!Py_IsInitialized()) return {};
  pyb::gil_scoped_acquire gil;
  auto g = pyb::reinterpret_steal<pyb::object>(static_cast<PyObject*>(greenlet));
  try {
    pyb::object frame = g ? pyb::object(g.attr("gr_frame")) : pyb::none();
    if (frame.is_none()) {
      pyb::dict frames = pyb::module_::import("sys").attr("_current_frames")();
      pyb::int_ key(thread_ident);
      if (!frames.contains(key)) return {};
      frame = frames[key];
    }
    pyb::list lines = pyb::module_::import("traceback").attr("format_stack")(frame);
    std::string out = "Traceback (most recent call last):\n";
    for (auto line : lines) out += line.cast<std::string>();
    return out;
  } catch (pyb::error_already_set& e) {
    return std::string("(stack unavailable: ") + e.what() + ")\n";
  }
}

void GeventHub::wake() { impl_->wake(); }

bool GeventHub::wait_writable(int fd, int timeout_ms) {
  PyGILState_STATE gil = PyGILState_Ensure();
  bool ok = true;
  try {
    pyb::module_::import("gevent.socket").attr("wait_write")(fd, timeout_ms / 1000.0);
  } catch (pyb::error_already_set&) {
    ok = false;  // timeout, or the fd is gone
  }
  PyGILState_Release(gil);
  return ok;
}

}  // namespace gpp::py
