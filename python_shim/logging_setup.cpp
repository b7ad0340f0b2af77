#include "python_shim/logging_setup.hpp"

#include <Python.h>
#include <pybind11/embed.h>

#include <string>
#include <string_view>

#include "core/log/access_log.hpp"
#include "core/log/error_log.hpp"
#include "python_shim/hooks_private.hpp"
#include "python_shim/logging_setup_py.inc"
#include "python_shim/support_module.hpp"

namespace gpp::py {
namespace pyb = pybind11;

namespace {

pyb::module_* g_logging = nullptr;  ///< _gunicornpp_logging; lives until exit

pyb::module_& logging_module() {
  if (!g_logging) {
    pyb::object code = pyb::reinterpret_steal<pyb::object>(
        Py_CompileString(kLoggingSetupPy, "<gunicornpp logging_setup.py>", Py_file_input));
    if (!code) throw pyb::error_already_set();
    pyb::object mod = pyb::reinterpret_steal<pyb::object>(
        PyImport_ExecCodeModule("_gunicornpp_logging", code.ptr()));
    if (!mod) throw pyb::error_already_set();
    g_logging = new pyb::module_(pyb::reinterpret_borrow<pyb::module_>(mod));
  }
  return *g_logging;
}

/// Our lines are UTF-8 (paths and headers are transcoded); keep any stray byte.
pyb::str text(std::string_view s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape");
  if (!o) throw pyb::error_already_set();
  return pyb::reinterpret_steal<pyb::str>(o);
}

/// Python str -> bytes for the C++ sinks (undoes surrogateescape).
std::string bytes_of(const pyb::str& s) {
  PyObject* b = PyUnicode_AsEncodedString(s.ptr(), "utf-8", "surrogateescape");
  if (!b) throw pyb::error_already_set();
  std::string out(PyBytes_AS_STRING(b), static_cast<std::size_t>(PyBytes_GET_SIZE(b)));
  Py_DECREF(b);
  return out;
}

/// Runs `fn` with the GIL from any thread; Python errors are dropped (a log
/// line must never take the server down).
template <class F>
void with_gil(F&& fn) {
  if (!Py_IsInitialized()) return;
  PyGILState_STATE st = PyGILState_Ensure();
  try {
    fn();
  } catch (pyb::error_already_set&) {
    PyErr_Clear();
  } catch (...) {
  }
  PyGILState_Release(st);
}

void forward_error(core::log::Level level, std::string_view message) {
  with_gil([&] { logging_module().attr("log_error")(static_cast<int>(level), text(message)); });
}

void forward_access(std::string_view line) {
  with_gil([&] { logging_module().attr("log_access")(text(line)); });
}

void reopen_python_files() {
  with_gil([] { logging_module().attr("reopen_files")(); });
}

}  // namespace

bool setup_logging(const config::Config& cfg) {
  pyb::gil_scoped_acquire gil;
  try {
    pyb::dict c;
    for (const char* name : {"loglevel", "accesslog", "syslog_prefix", "syslog_facility", "syslog_addr",
                             "logconfig_json", "logconfig"})
      c[name] = cfg.get_string(name);
    for (const char* name : {"syslog", "disable_redirect_access_to_syslog"}) c[name] = cfg.get_bool(name);
    c["proc_name"] = cfg.proc_name();
    pyb::object dict = config_hook("logconfig_dict");
    if (!dict) dict = pyb::dict();
    pyb::cpp_function write_error([](pyb::str s) { core::log::write_raw(bytes_of(s)); });
    pyb::cpp_function write_access([](pyb::str s) { core::log::access::write_direct(bytes_of(s)); });
    bool route = logging_module().attr("setup")(c, dict, write_error, write_access).cast<bool>();
    bool access_on = !cfg.get_string("accesslog").empty() || !cfg.get_string("logconfig").empty() ||
                     !cfg.get_string("logconfig_json").empty() || pyb::len(dict) > 0 ||
                     (cfg.get_bool("syslog") && !cfg.get_bool("disable_redirect_access_to_syslog"));
    core::log::set_forwarder(route ? &forward_error : nullptr);
    core::log::access::set_forwarder(route && access_on ? &forward_access : nullptr);
    core::log::on_reopen(&reopen_python_files);
    return true;
  } catch (pyb::error_already_set& e) {
    std::string tb = format_current_exception(e);
    core::log::set_forwarder(nullptr);
    core::log::error("Error: invalid logging configuration\n" + tb);
    return false;
  }
}

}  // namespace gpp::py
