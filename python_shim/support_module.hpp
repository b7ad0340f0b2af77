#pragma once
// Private to python_shim: the `_gunicornpp_support` module compiled from support.py.
#include <pybind11/pybind11.h>

namespace gpp::py {

/// Compile support.py into sys.modules (once, after Py_Initialize).
void register_support_module();
/// The module object (GIL held).
pybind11::module_& support();
/// Traceback text of the current Python error (clears it); GIL held.
std::string format_current_exception(pybind11::error_already_set& e);

}  // namespace gpp::py
