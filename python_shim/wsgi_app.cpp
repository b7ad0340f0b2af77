#include "python_shim/wsgi_app.hpp"

#include <Python.h>
#include <pybind11/embed.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "core/http/response.hpp"
#include "core/log/error_log.hpp"
#include "python_shim/client_socket.hpp"
#include "core/requests_in_progress.hpp"
#include "python_shim/environ.hpp"
#include "python_shim/hooks_private.hpp"
#include "python_shim/interpreter.hpp"
#include "python_shim/support_module.hpp"
#include "python_shim/wsgi_streams.hpp"

namespace gpp::py {
namespace pyb = pybind11;

bool ResponseSink::send_file(int fd, off_t offset, std::size_t count) {
  std::vector<char> buf(std::min<std::size_t>(count, 64 * 1024));
  while (count > 0) {
    ssize_t r = ::pread(fd, buf.data(), std::min(count, buf.size()), offset);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;  // error, or the file is shorter than promised
    if (!write(std::string_view(buf.data(), static_cast<std::size_t>(r)))) return false;
    offset += r;
    count -= static_cast<std::size_t>(r);
  }
  return true;
}

struct WsgiApp::Impl {
  pyb::object app;
  PyObject* base = nullptr;         ///< per-worker environ keys, built on first call
  ClientSockets sockets;            ///< environ['gunicorn.socket']
  PyObject* fileno_of = nullptr;    ///< support.file_wrapper_fileno
  std::string script_name;          ///< os.environ SCRIPT_NAME at load time
  ~Impl() {
    Py_XDECREF(base);
    Py_XDECREF(fileno_of);
  }
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
  out.impl_->fileno_of = pyb::object(support().attr("file_wrapper_fileno")).release().ptr();
  const char* sn = std::getenv("SCRIPT_NAME");
  out.impl_->script_name = sn ? sn : "";
  return out;
}

namespace {

/// Holds the GIL for a scope (cheaper than pybind11's guard on the hot path).
struct GilHold {
  PyGILState_STATE state = PyGILState_Ensure();
  ~GilHold() { PyGILState_Release(state); }
};

/// Drop `*p` at scope exit.
struct Owned {
  PyObject* p = nullptr;
  ~Owned() { Py_XDECREF(p); }
};

void check(PyObject* o) {
  if (!o) throw pyb::error_already_set();
}

void set_item(PyObject* env, PyObject* key, PyObject* value) {
  if (PyDict_SetItem(env, key, value) < 0) throw pyb::error_already_set();
}

/// Send the body of `result` (PEP 3333 iteration, list/tuple fast path,
/// sendfile for wsgi.file_wrapper). Throws error_already_set on app errors.
void send_body(PyObject* result, Responder& out, PyObject* fileno_of, bool sendfile) {
  if (PyList_CheckExact(result) || PyTuple_CheckExact(result)) {
    // The common case: the last item goes out with the head and the
    // terminator in one write. Sizes are re-read: while a write releases the
    // GIL another thread could change a list.
    for (Py_ssize_t i = 0;; ++i) {
      Py_ssize_t n = PySequence_Fast_GET_SIZE(result);
      if (i >= n) {
        if (!out.finish()) throw pyb::error_already_set();
        return;
      }
      PyObject* item = PySequence_Fast_ITEMS(result)[i];
      Py_INCREF(item);
      bool last = i + 1 == n;
      bool ok = last ? out.write_last(item) : out.write(item);
      Py_DECREF(item);
      if (!ok) throw pyb::error_already_set();
      if (last) return;
    }
  }
  if (sendfile && Py_IS_TYPE(result, reinterpret_cast<PyTypeObject*>(file_wrapper_type()))) {
    Owned fd{PyObject_CallOneArg(fileno_of, result)};
    check(fd.p);
    long f = PyLong_AsLong(fd.p);
    if (f >= 0) {
      bool handled = false;
      if (!out.send_file(static_cast<int>(f), handled)) throw pyb::error_already_set();
      if (handled) {
        if (!out.finish()) throw pyb::error_already_set();
        return;
      }
    }
  }
  Owned it{PyObject_GetIter(result)};
  check(it.p);
  while (PyObject* item = PyIter_Next(it.p)) {
    bool ok = out.write(item);
    Py_DECREF(item);
    if (!ok) throw pyb::error_already_set();
  }
  if (PyErr_Occurred()) throw pyb::error_already_set();
  if (!out.finish()) throw pyb::error_already_set();
}

/// close() on the response iterable, whatever happened (PEP 3333).
void close_iterable(PyObject* result, const std::string& what) {
  if (!result || PyList_CheckExact(result) || PyTuple_CheckExact(result) || PyBytes_CheckExact(result)) return;
  static PyObject* close_name = PyUnicode_InternFromString("close");
  Owned close{PyObject_GetAttr(result, close_name)};
  if (!close.p) {
    PyErr_Clear();
    return;
  }
  Owned r{PyObject_CallNoArgs(close.p)};
  if (!r.p) {
    pyb::error_already_set e;
    core::log::error("Error closing response for " + what + "\n" + format_current_exception(e));
  }
}

}  // namespace

CallResult WsgiApp::call(const RequestContext& ctx, core::ResponseFramer& framer, ResponseSink& sink) {
  GilHold gil;
  Impl& im = *impl_;
  const auto& head = *ctx.head;
  // For the timeout dump (worker_signals.cpp): written from a signal handler.
  core::RequestInProgress in_progress(head.method, head.target, head.version_major, head.version_minor,
                                      ctx.remote_addr, ctx.remote_port);
  Responder responder(framer, sink, head.method, head.version_major, head.version_minor);
  CallResult outcome = CallResult::Ok;
  Owned env, start, input, sock, result;
  RequestHooks hooks;  // pre_request / post_request (hooks.py), no-op when not defined
  if (ctx.log_environ_keys) ctx.log_environ.clear();
  try {
    hooks.pre_request(ctx);
    if (!im.base) {
      im.base = base_environ(*ctx.server);
      check(im.base);
      Owned errors{new_errors()};
      set_item(im.base, GPP_ENVIRON_KEY("wsgi.errors"), errors.p);
      set_item(im.base, GPP_ENVIRON_KEY("wsgi.file_wrapper"), file_wrapper_type());
    }
    env.p = PyDict_Copy(im.base);
    check(env.p);
    start.p = new_start_response(&responder);
    input.p = new_input(ctx.body);
    set_item(env.p, GPP_ENVIRON_KEY("wsgi.input"), input.p);
    if (ctx.client_fd >= 0) {
      sock.p = im.sockets.acquire(ctx);
      set_item(env.p, GPP_ENVIRON_KEY("gunicorn.socket"), sock.p);
    } else {
      set_item(env.p, GPP_ENVIRON_KEY("gunicorn.socket"), Py_None);
    }
    Owned hints{start_response_early_hints(start.p)};
    check(hints.p);
    set_item(env.p, GPP_ENVIRON_KEY("wsgi.early_hints"), hints.p);
    fill_environ(env.p, ctx, im.script_name);
    hooks.set_environ(env.p);
    PyObject* args[2] = {env.p, start.p};
    result.p = PyObject_Vectorcall(im.app.ptr(), args, 2, nullptr);
    check(result.p);
    send_body(result.p, responder, im.fileno_of, ctx.server->sendfile);
  } catch (pyb::error_already_set& e) {
    if (responder.client_gone()) {
      outcome = CallResult::ClientGone;  // EPIPE raised into (or seen by) the app
    } else if (responder.head_sent()) {
      core::log::exception("Error handling request\n" + format_current_exception(e));
      outcome = CallResult::ErrorAfterHead;
    } else {
      core::log::exception("Error handling request " + std::string(head.method) + " " + std::string(head.target) +
                       "\n" + format_current_exception(e));
      outcome = CallResult::ErrorBeforeHead;
    }
  } catch (const ConfigurationProblem& e) {
    core::log::warning("Invalid request from ip=" + ctx.remote_addr + ": " + e.what());
    framer.force_close();
    std::string page = core::http::error_response(500, "Bad Request", e.page_text);
    GilRelease nogil;
    sink.write(page);
    outcome = CallResult::ErrorResponded;
  }
  if (PyErr_Occurred()) PyErr_Clear();
  // gunicorn logs the access line from the environ the app may have changed
  // (middleware setting REMOTE_USER, ...): read back the keys the log names.
  if (ctx.log_environ_keys && env.p) capture_environ(env.p, *ctx.log_environ_keys, ctx.log_environ);
  close_iterable(result.p, std::string(head.method) + " " + std::string(head.target));
  hooks.post_request(framer);
  if (start.p) start_response_end(start.p);
  if (input.p) input_end(input.p);
  Py_CLEAR(env.p);
  if (sock.p) {
    im.sockets.release(sock.p, ctx);
    sock.p = nullptr;
  }
  return outcome;
}

}  // namespace gpp::py
