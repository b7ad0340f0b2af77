#include "python_shim/wsgi_app.hpp"

#include <Python.h>
#include <pybind11/embed.h>

#include <cstdlib>

#include "core/log/error_log.hpp"
#include "python_shim/environ.hpp"
#include "python_shim/support_module.hpp"
#include "python_shim/wsgi_streams.hpp"

namespace gpp::py {
namespace pyb = pybind11;

struct WsgiApp::Impl {
  pyb::object app;
  pyb::dict base;            ///< per-worker environ keys, built on first call
  bool base_ready = false;
  std::string script_name;   ///< os.environ SCRIPT_NAME at load time
};

WsgiApp::WsgiApp() = default;
WsgiApp::~WsgiApp() {
  if (impl_ && Py_IsInitialized()) {
    pyb::gil_scoped_acquire gil;
    impl_.reset();
  }
}
WsgiApp::WsgiApp(WsgiApp&&) noexcept = default;
WsgiApp& WsgiApp::operator=(WsgiApp&&) noexcept = default;
bool WsgiApp::loaded() const noexcept { return impl_ && impl_->app; }

WsgiApp WsgiApp::load(const std::string& uri) {
  pyb::gil_scoped_acquire gil;
  register_wsgi_types();
  WsgiApp out;
  out.impl_ = std::make_unique<Impl>();
  try {
    out.impl_->app = support().attr("import_app")(uri);
  } catch (pyb::error_already_set& e) {
    bool app_error = support().attr("is_app_import_error")(e.value()).cast<bool>();
    std::string message = pyb::str(e.value()).cast<std::string>();
    if (app_error) {
      core::log::debug("Exception while loading the application\n" + format_current_exception(e));
      throw AppLoadError(message, 4);
    }
    core::log::error("Exception in worker process\n" + format_current_exception(e));
    throw AppLoadError(message, 3);
  }
  const char* sn = std::getenv("SCRIPT_NAME");
  out.impl_->script_name = sn ? sn : "";
  return out;
}

namespace {

/// close() on the response iterable, whatever happened (PEP 3333).
void close_iterable(const pyb::object& result, const std::string& uri) {
  if (!result || !pyb::hasattr(result, "close")) return;
  try {
    result.attr("close")();
  } catch (pyb::error_already_set& e) {
    core::log::error("Error closing response for " + uri + "\n" + format_current_exception(e));
  }
}

}  // namespace

CallResult WsgiApp::call(const RequestContext& ctx, core::ResponseFramer& framer, ResponseSink& sink) {
  pyb::gil_scoped_acquire gil;
  Impl& im = *impl_;
  if (!im.base_ready) {
    im.base = base_environ(*ctx.server);
    im.base_ready = true;
  }
  std::string uri(ctx.head->target);
  InputStream* input = nullptr;
  StartResponse* start = nullptr;
  pyb::object result;
  CallResult outcome = CallResult::Ok;
  pyb::object input_obj = make_input(ctx.body, &input);
  pyb::object start_obj = make_start_response(&framer, &sink, &start);
  try {
    pyb::dict env = pyb::reinterpret_steal<pyb::dict>(PyDict_Copy(im.base.ptr()));
    env["wsgi.input"] = input_obj;
    fill_environ(env, ctx, im.script_name);
    result = im.app(env, start_obj);
    if (PyList_CheckExact(result.ptr()) || PyTuple_CheckExact(result.ptr())) {
      // Fast path for the common list/tuple of bytes.
      pyb::sequence seq = result;
      for (auto item : seq) {
        if (!PyBytes_Check(item.ptr()))
          throw pyb::type_error(pyb::repr(item).cast<std::string>() + " is not a byte");
        if (!framer.started()) throw pyb::value_error("start_response was not called");
        if (!start->send(std::string_view(PyBytes_AS_STRING(item.ptr()),
                                          static_cast<std::size_t>(PyBytes_GET_SIZE(item.ptr())))))
          break;
      }
    } else {
      pyb::iterator it = pyb::iter(result);
      for (; it != pyb::iterator::sentinel(); ++it) {
        pyb::handle item = *it;
        if (!PyBytes_Check(item.ptr()))
          throw pyb::type_error(pyb::repr(item).cast<std::string>() + " is not a byte");
        if (!framer.started()) throw pyb::value_error("start_response was not called");
        if (!start->send(std::string_view(PyBytes_AS_STRING(item.ptr()),
                                          static_cast<std::size_t>(PyBytes_GET_SIZE(item.ptr())))))
          break;
      }
    }
    if (start->client_gone()) {
      outcome = CallResult::ClientGone;
    } else {
      if (!framer.started()) throw pyb::value_error("start_response was not called");
      if (!start->finish()) outcome = CallResult::ClientGone;
    }
  } catch (pyb::error_already_set& e) {
    core::log::error("Error handling request " + uri + "\n" + format_current_exception(e));
    outcome = framer.head_sent() ? CallResult::ErrorAfterHead : CallResult::ErrorBeforeHead;
  } catch (const ConfigurationProblem& e) {
    core::log::error(std::string("Error handling request ") + uri + "\nConfiguration problem: " + e.what());
    outcome = CallResult::ErrorBeforeHead;
  } catch (const std::exception& e) {
    // pybind11 cast errors (type_error, value_error) raised on our side.
    core::log::error("Error handling request " + uri + "\n" + e.what());
    outcome = framer.head_sent() ? CallResult::ErrorAfterHead : CallResult::ErrorBeforeHead;
  }
  close_iterable(result, uri);
  input->detach();
  start->detach();
  return outcome;
}

}  // namespace gpp::py
