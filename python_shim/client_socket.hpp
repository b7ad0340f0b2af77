#pragma once
// Private to python_shim: environ['gunicorn.socket'], a real socket.socket
// (gevent's under the coro worker) on the connection's fd, without a dup.
// The fd stays the worker's: the object lets go of it when the request ends.
#include <Python.h>

#include "python_shim/wsgi_app.hpp"

namespace gpp::py {

class ClientSockets {
 public:
  ClientSockets() = default;
  ~ClientSockets();
  ClientSockets(const ClientSockets&) = delete;
  ClientSockets& operator=(const ClientSockets&) = delete;

  /// A socket object on ctx.client_fd (new reference). Throws
  /// pybind11::error_already_set. The GIL is held.
  PyObject* acquire(const RequestContext& ctx);
  /// The request is over: `sock` lets go of the fd (an object the app kept
  /// then acts closed), unless the connection keeps it for its next request
  /// (ctx.connection_socket). Steals the reference. Never raises.
  void release(PyObject* sock, const RequestContext& ctx);

 private:
  PyObject* class_ = nullptr;  ///< support.client_socket_class(cooperative)
  bool cooperative_ = false;
  /// One released socket.socket nobody else holds, re-attached to the next
  /// request's fd with _socket.socket's C __init__: no allocation and no
  /// Python frame per request (gevent sockets are made anew: their hub
  /// watchers belong to one fd).
  PyObject* spare_ = nullptr;
};

}  // namespace gpp::py
