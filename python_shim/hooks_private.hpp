#pragma once
// Private to python_shim: the `_gunicornpp_hooks` module (hooks.py) and the
// pre_request/post_request calls WsgiApp::call makes. GIL held for all of it.
#include <Python.h>
#include <pybind11/pybind11.h>

#include <string>

#include "core/response_framer.hpp"
#include "python_shim/wsgi_app.hpp"

namespace gpp::py {

/// The module compiled from hooks.py (created on first use).
pybind11::module_& hooks_module();
/// Log a hook's exception with its traceback.
void log_hook_exception(const std::string& what, pybind11::error_already_set& e, bool warning);
/// Call hook `name` with `args`; an exception is logged as "Exception in <name> hook".
bool call_hook_logged(const std::string& name, const pybind11::args& args);
/// The callable the config file defined for hook setting `name`, or a null object
/// (kept by conf_file.cpp).
pybind11::object config_hook(const std::string& name);

/// pre_request / post_request around one app call, as gunicorn's sync worker:
/// pre_request(worker, req) before the environ is built (an exception is an
/// error of the request: 500), post_request(worker, req, environ, resp) after
/// the iterable is closed (an exception is logged). No-ops when neither hook
/// is defined.
class RequestHooks {
 public:
  /// Build `req` and call pre_request. Throws pybind11::error_already_set.
  void pre_request(const RequestContext& ctx);
  /// The environ post_request receives ({} when the request failed before it).
  void set_environ(PyObject* environ);
  /// Build `resp` from the framer and call post_request.
  void post_request(const core::ResponseFramer& framer);

 private:
  pybind11::object req_;
  pybind11::object environ_;
};

}  // namespace gpp::py
