#include "python_shim/gevent_hub.hpp"

#include <Python.h>
#include <pybind11/embed.h>

#include <cstdint>
#include <vector>

namespace gpp::py {
namespace pyb = pybind11;

std::string gevent_patch_all() {
  try {
    pyb::module_::import("gevent");
    pyb::module_::import("gevent.monkey").attr("patch_all")();
    return "";
  } catch (pyb::error_already_set& e) {
    return e.what();
  }
}

struct GeventHub::Impl {
  std::function<bool()> poll;
  std::function<void(void*)> run_request;
  pyb::object loop;
  pyb::object hub;
  pyb::object watcher;
  pyb::object done;         ///< gevent.event.Event: set when the engine stopped
  pyb::object poll_cb;      ///< calls poll (watcher callback and wake-up callback)
  pyb::object runner;       ///< a greenlet's run: runner(request address)
  pyb::object greenlet_type;
  pyb::object getcurrent;   ///< greenlet.getcurrent
  /// greenlet.greenlet.switch: a request greenlet parks itself with
  /// raw_switch(hub). gevent's Hub.switch would first look up a `switch_out`
  /// attribute our greenlets never have (an AttributeError each time).
  pyb::object raw_switch;
  pyb::object run_callback;
  pyb::object switch_name;  ///< interned "switch"
  /// Request greenlets parked between requests (owned references). A new
  /// greenlet per request cost an mmap + munmap of a 16 KiB Python frame
  /// chunk and its page faults each time; a parked one keeps its chunk.
  std::vector<PyObject*> idle;
  bool woken = false;   ///< a poll_cb is queued on the loop
  bool stopped = false;

  void on_poll() {
    woken = false;
    if (stopped) return;
    if (poll()) {
      stopped = true;
      watcher.attr("stop")();
      done.attr("set")();
    }
  }
};

namespace {

constexpr const char* kCapsuleName = "gunicornpp.coro_hub";

GeventHub::Impl* impl_of(PyObject* capsule) {
  return static_cast<GeventHub::Impl*>(PyCapsule_GetPointer(capsule, kCapsuleName));
}

PyObject* poll_c(PyObject* self, PyObject* /*unused*/) {
  try {
    impl_of(self)->on_poll();
  } catch (pyb::error_already_set& e) {
    e.restore();
    return nullptr;
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
    return nullptr;
  }
  Py_RETURN_NONE;
}

/// Parked greenlets kept for reuse at most (the rest end after their request).
constexpr std::size_t kMaxIdleGreenlets = 256;

/// A request greenlet's run(address of the request): serve it, then park in
/// the hub until spawn() hands this greenlet the next request.
PyObject* run_c(PyObject* self, PyObject* arg) {
  GeventHub::Impl* d = impl_of(self);
  void* request = PyLong_AsVoidPtr(arg);
  if (!request && PyErr_Occurred()) return nullptr;
  for (;;) {
    try {
      d->run_request(request);
    } catch (pyb::error_already_set& e) {
      e.restore();
      return nullptr;
    } catch (const std::exception& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
      return nullptr;
    }
    if (d->stopped || d->idle.size() >= kMaxIdleGreenlets) Py_RETURN_NONE;
    PyObject* me = PyObject_CallNoArgs(d->getcurrent.ptr());
    if (!me) return nullptr;
    d->idle.push_back(me);
    // Returns what spawn() switches in; raises when the greenlet is killed.
    PyObject* next = PyObject_CallOneArg(d->raw_switch.ptr(), d->hub.ptr());
    if (!next) return nullptr;
    request = PyLong_AsVoidPtr(next);
    Py_DECREF(next);
    if (!request) {
      if (PyErr_Occurred()) return nullptr;
      Py_RETURN_NONE;
    }
  }
}

PyMethodDef g_poll_def = {"coro_poll", poll_c, METH_NOARGS, "Run the engine's ready handlers."};
PyMethodDef g_run_def = {"coro_request", run_c, METH_O, "Run one request (a greenlet's run)."};

}  // namespace

GeventHub::GeventHub(int reactor_fd, std::function<bool()> poll, std::function<void(void*)> run_request)
    : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.poll = std::move(poll);
  d.run_request = std::move(run_request);
  d.hub = pyb::module_::import("gevent").attr("get_hub")();
  d.loop = d.hub.attr("loop");
  d.run_callback = d.loop.attr("run_callback");
  pyb::module_ greenlet = pyb::module_::import("greenlet");
  d.greenlet_type = greenlet.attr("greenlet");
  d.getcurrent = greenlet.attr("getcurrent");
  d.raw_switch = d.greenlet_type.attr("switch");
  d.switch_name = pyb::reinterpret_steal<pyb::object>(PyUnicode_InternFromString("switch"));
  d.done = pyb::module_::import("gevent.event").attr("Event")();
  // Raw C functions, not pybind11's cpp_function: pybind11 keeps a per-thread
  // stack of argument-loader frames, and greenlets switching away inside a
  // cpp_function would unwind it out of order ("loader_life_support: internal error").
  pyb::capsule self(static_cast<void*>(&d), kCapsuleName);
  d.poll_cb = pyb::reinterpret_steal<pyb::object>(PyCFunction_New(&g_poll_def, self.ptr()));
  if (!d.poll_cb) throw pyb::error_already_set();
  d.runner = pyb::reinterpret_steal<pyb::object>(PyCFunction_New(&g_run_def, self.ptr()));
  if (!d.runner) throw pyb::error_already_set();
  d.watcher = d.loop.attr("io")(reactor_fd, 1);  // 1: READ
}

GeventHub::~GeventHub() {
  if (impl_ && impl_->watcher) impl_->watcher.attr("close")();
  // Parked greenlets are left parked: the process exits after the hub.
}

void GeventHub::run() {
  Impl& d = *impl_;
  d.watcher.attr("start")(d.poll_cb);
  // The first poll starts the engine's coroutines (posted before any poll()).
  wake();
  d.done.attr("wait")();
}

void* GeventHub::spawn(void* request, bool keep) {
  // Raw C API calls: through pybind11 (argument tuples, casts) this was 4.2k
  // instructions per request, a tenth of a hello-world request (docs/design.md).
  Impl& d = *impl_;
  pyb::object g;
  if (!d.idle.empty()) {
    g = pyb::reinterpret_steal<pyb::object>(d.idle.back());
    d.idle.pop_back();
  } else {
    PyObject* gargs[] = {d.runner.ptr(), d.hub.ptr()};
    g = pyb::reinterpret_steal<pyb::object>(PyObject_Vectorcall(d.greenlet_type.ptr(), gargs, 2, nullptr));
    if (!g) throw pyb::error_already_set();
  }
  auto sw = pyb::reinterpret_steal<pyb::object>(PyObject_GetAttr(g.ptr(), d.switch_name.ptr()));
  if (!sw) throw pyb::error_already_set();
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

void GeventHub::wake() {
  Impl& d = *impl_;
  if (d.woken || d.stopped) return;
  d.woken = true;
  PyObject* args[] = {d.poll_cb.ptr()};
  auto r = pyb::reinterpret_steal<pyb::object>(PyObject_Vectorcall(d.run_callback.ptr(), args, 1, nullptr));
  if (!r) throw pyb::error_already_set();
}

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
