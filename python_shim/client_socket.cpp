#include "python_shim/client_socket.hpp"

#include <pybind11/pybind11.h>
#include <sys/socket.h>

#include "python_shim/support_module.hpp"

namespace gpp::py {
namespace pyb = pybind11;

namespace {

/// _socket.socket: its C __init__ and detach(), called without Python frames.
struct RawSocket {
  initproc init = nullptr;
  PyObject* detach = nullptr;  ///< method descriptor
  PyObject* fileno = nullptr;  ///< method descriptor
  PyObject* closed_name = nullptr;
  PyObject* io_refs_name = nullptr;
  PyObject* zero = nullptr;

  static RawSocket& get() {
    static RawSocket raw = [] {
      RawSocket r;
      pyb::object type = pyb::module_::import("_socket").attr("socket");
      r.init = reinterpret_cast<PyTypeObject*>(type.ptr())->tp_init;
      r.detach = pyb::object(type.attr("detach")).release().ptr();
      r.fileno = pyb::object(type.attr("fileno")).release().ptr();
      r.closed_name = PyUnicode_InternFromString("_closed");
      r.io_refs_name = PyUnicode_InternFromString("_io_refs");
      r.zero = PyLong_FromLong(0);
      return r;
    }();
    return raw;
  }
};

}  // namespace

ClientSockets::~ClientSockets() {
  Py_XDECREF(class_);
  Py_XDECREF(spare_);
}

PyObject* ClientSockets::acquire(const RequestContext& ctx) {
  if (!class_) {
    cooperative_ = ctx.server->cooperative_socket;
    class_ = pyb::object(support().attr("client_socket_class")(cooperative_)).release().ptr();
  }
  if (cooperative_ && ctx.connection_socket && *ctx.connection_socket) {
    // The connection's socket from its previous request, unless the app
    // closed or detached it.
    // gevent's socket wraps a _socket.socket in the `_sock` slot (a dummy
    // once detached); asking that one directly skips two Python frames.
    auto* kept = static_cast<PyObject*>(*ctx.connection_socket);
    static PyObject* sock_name = PyUnicode_InternFromString("_sock");
    PyObject* inner = PyObject_GetAttr(kept, sock_name);
    PyObject* fd = inner ? PyObject_CallOneArg(RawSocket::get().fileno, inner) : nullptr;
    long n = fd ? PyLong_AsLong(fd) : -1;
    Py_XDECREF(fd);
    Py_XDECREF(inner);
    PyErr_Clear();
    if (n == ctx.client_fd) {
      Py_INCREF(kept);
      return kept;
    }
    *ctx.connection_socket = nullptr;
    release_connection_socket(kept);
  }
  // Family/type/proto given: socket() asks the fd nothing (no syscall).
  bool known = ctx.client_family > 0;
  PyObject* args = Py_BuildValue("(iiii)", known ? ctx.client_family : -1, known ? SOCK_STREAM : -1,
                                 known ? 0 : -1, ctx.client_fd);
  if (!args) throw pyb::error_already_set();
  if (PyObject* sock = spare_) {
    spare_ = nullptr;
    RawSocket& raw = RawSocket::get();
    int rc = raw.init(sock, args, nullptr);
    Py_DECREF(args);
    // socket.socket's own __init__ state, as a fresh object has it.
    if (rc < 0 || PyObject_SetAttr(sock, raw.closed_name, Py_False) < 0 ||
        PyObject_SetAttr(sock, raw.io_refs_name, raw.zero) < 0) {
      Py_DECREF(sock);
      throw pyb::error_already_set();
    }
    return sock;
  }
  PyObject* sock = PyObject_Call(class_, args, nullptr);
  Py_DECREF(args);
  if (!sock) throw pyb::error_already_set();
  if (cooperative_ && ctx.connection_socket) {
    Py_INCREF(sock);
    *ctx.connection_socket = sock;
  }
  return sock;
}

void ClientSockets::release(PyObject* sock, const RequestContext& ctx) {
  if (cooperative_ && ctx.connection_socket && *ctx.connection_socket == sock) {
    Py_DECREF(sock);  // the connection holds it until it ends
    return;
  }
  static PyObject* release_name = PyUnicode_InternFromString("_gpp_release");
  PyObject* r = cooperative_ ? PyObject_CallMethodNoArgs(sock, release_name)
                             : PyObject_CallOneArg(RawSocket::get().detach, sock);
  if (r) Py_DECREF(r);
  else PyErr_Clear();
  // Re-used only when nobody can reach it any more: no other reference and
  // no weak reference (it would see the next request's connection).
  bool unreachable = Py_REFCNT(sock) == 1 && (Py_TYPE(sock)->tp_weaklistoffset <= 0 ||
                                              *PyObject_GET_WEAKREFS_LISTPTR(sock) == nullptr);
  if (!cooperative_ && !spare_ && unreachable) {
    spare_ = sock;  // the next request re-attaches it
    return;
  }
  Py_DECREF(sock);
}

void release_connection_socket(void* handle) noexcept {
  if (!handle || !Py_IsInitialized()) return;
  PyGILState_STATE gil = PyGILState_Ensure();
  auto* sock = static_cast<PyObject*>(handle);
  static PyObject* release_name = PyUnicode_InternFromString("_gpp_release");
  PyObject* r = PyObject_CallMethodNoArgs(sock, release_name);
  if (r) Py_DECREF(r);
  else PyErr_Clear();
  Py_DECREF(sock);
  PyGILState_Release(gil);
}

}  // namespace gpp::py
