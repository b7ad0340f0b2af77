#include "python_shim/threads.hpp"

#include <Python.h>
#include <pybind11/embed.h>

namespace gpp::py {
namespace pyb = pybind11;

PythonThread::PythonThread() {
  if (!Py_IsInitialized()) return;
  // PyGILState_Ensure creates the state pybind11's gil_scoped_acquire will find
  // (and not delete, since its counter stays above zero).
  gil_state_ = static_cast<int>(PyGILState_Ensure());
  saved_ = PyEval_SaveThread();
  active_ = true;
}

PythonThread::~PythonThread() {
  if (!active_) return;
  PyEval_RestoreThread(static_cast<PyThreadState*>(saved_));
  PyGILState_Release(static_cast<PyGILState_STATE>(gil_state_));
}

GilHold::GilHold() {
  if (Py_IsInitialized()) state_ = static_cast<int>(PyGILState_Ensure());
}

GilHold::~GilHold() {
  if (state_ >= 0) PyGILState_Release(static_cast<PyGILState_STATE>(state_));
}

unsigned long current_thread_ident() noexcept { return PyThread_get_thread_ident(); }

std::string format_thread_stack(unsigned long ident) {
  if (!Py_IsInitialized()) return {};
  pyb::gil_scoped_acquire gil;
  try {
    pyb::dict frames = pyb::module_::import("sys").attr("_current_frames")();
    pyb::int_ key(ident);
    if (!frames.contains(key)) return {};
    pyb::list lines = pyb::module_::import("traceback").attr("format_stack")(frames[key]);
    std::string out = "Traceback (most recent call last):\n";
    for (auto line : lines) out += line.cast<std::string>();
    return out;
  } catch (pyb::error_already_set& e) {
    return std::string("(stack unavailable: ") + e.what() + ")\n";
  }
}

}  // namespace gpp::py
