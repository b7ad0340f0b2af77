#include "python_shim/support_module.hpp"

#include <Python.h>

#include "python_shim/support_py.inc"

namespace gpp::py {
namespace pyb = pybind11;

namespace {
pyb::module_* g_support = nullptr;
}

void register_support_module() {
  pyb::gil_scoped_acquire gil;
  pyb::object code = pyb::reinterpret_steal<pyb::object>(
      Py_CompileString(kSupportPy, "<gunicornpp support.py>", Py_file_input));
  if (!code) throw pyb::error_already_set();
  pyb::object mod = pyb::reinterpret_steal<pyb::object>(
      PyImport_ExecCodeModule("_gunicornpp_support", code.ptr()));
  if (!mod) throw pyb::error_already_set();
  g_support = new pyb::module_(pyb::reinterpret_borrow<pyb::module_>(mod));  // lives until exit
}

pyb::module_& support() { return *g_support; }

std::string format_current_exception(pyb::error_already_set& e) {
  try {
    pybind11::object tb = e.trace() ? pybind11::reinterpret_borrow<pybind11::object>(e.trace()) : pybind11::none();
    return support().attr("format_exception")(e.value(), tb).cast<std::string>();
  } catch (...) {
    return e.what();
  }
}

}  // namespace gpp::py
