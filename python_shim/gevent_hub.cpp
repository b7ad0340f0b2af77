#include "python_shim/gevent_hub.hpp"

#include <Python.h>
#include <pybind11/embed.h>

#include <cstdint>

#include "python_shim/support_module.hpp"

namespace gpp::py {
namespace pyb = pybind11;

std::string gevent_patch_all() {
  try {
    pyb::module_::import("gevent");
    pyb::module_::import("gevent.monkey").attr("patch_all")();
    support().attr("client_socket_class")(true);  // gunicorn.socket's class, imported now
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
  pyb::object run_callback;
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

/// A request greenlet's run(address of the request).
PyObject* run_c(PyObject* self, PyObject* arg) {
  void* request = PyLong_AsVoidPtr(arg);
  if (!request && PyErr_Occurred()) return nullptr;
  try {
    impl_of(self)->run_request(request);
  } catch (pyb::error_already_set& e) {
    e.restore();
    return nullptr;
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
    return nullptr;
  }
  Py_RETURN_NONE;
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
  d.greenlet_type = pyb::module_::import("greenlet").attr("greenlet");
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
}

void GeventHub::run() {
  Impl& d = *impl_;
  d.watcher.attr("start")(d.poll_cb);
  // The first poll starts the engine's coroutines (posted before any poll()).
  wake();
  d.done.attr("wait")();
}

void GeventHub::spawn(void* request) {
  Impl& d = *impl_;
  pyb::object g = d.greenlet_type(d.runner, d.hub);
  pyb::object address = pyb::reinterpret_steal<pyb::object>(PyLong_FromVoidPtr(request));
  d.run_callback(g.attr("switch"), address);
}

void GeventHub::wake() {
  Impl& d = *impl_;
  if (d.woken || d.stopped) return;
  d.woken = true;
  d.run_callback(d.poll_cb);
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
