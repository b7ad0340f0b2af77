#pragma once
// Private to python_shim: the Python-visible objects of one request, as
// C-level types (one allocation each per request, no pybind11 on the hot path):
//   wsgi.input      InputStream over the C++ body buffer (wsgi_input.cpp)
//   wsgi.errors     ErrorsStream: raw writes to the error log (wsgi_input.cpp)
//   start_response  StartResponse, its write() and wsgi.early_hints, driving a
//                   Responder that frames with core::ResponseFramer
#include <Python.h>

#include <string>

#include "core/request_body.hpp"
#include "core/response_framer.hpp"
#include "python_shim/wsgi_app.hpp"

namespace gpp::py {

/// One response in progress: the C++ half of start_response/write. Methods
/// that run on behalf of Python return false with a Python error set.
class Responder {
 public:
  Responder(core::ResponseFramer& framer, ResponseSink& sink, std::string_view method, int version_major,
            int version_minor)
      : framer_(framer), sink_(sink), method_(method),
        http11_(version_major > 1 || (version_major == 1 && version_minor >= 1)) {}

  /// start_response(status, headers, exc_info=None): PEP 3333 and gunicorn's checks.
  bool start(PyObject* status, PyObject* headers, PyObject* exc_info);
  /// write(data) / one item of the response iterable. Headers go out with
  /// the first non-empty body bytes (PEP 3333). Raises TypeError for non-bytes.
  bool write(PyObject* data);
  /// The last item of the body: head + body + terminator in one write.
  bool write_last(PyObject* data);
  /// Send the head (if not yet sent) and the body terminator.
  bool finish();
  /// wsgi.file_wrapper with a real fd: sendfile from the current offset
  /// (gunicorn's Response.sendfile). False with no Python error set when the
  /// file cannot be sent this way (then iterate it instead).
  bool send_file(int fd, bool& handled);
  /// wsgi.early_hints(headers): a 103 response before the final one.
  bool early_hints(PyObject* headers);

  [[nodiscard]] bool started() const { return framer_.started(); }
  [[nodiscard]] bool head_sent() const { return framer_.head_sent(); }
  [[nodiscard]] bool client_gone() const { return client_gone_; }

 private:
  bool require_started();
  bool flush();
  void body(std::string_view data);
  core::ResponseFramer& framer_;
  ResponseSink& sink_;
  std::string_view method_;
  bool http11_;
  bool client_gone_ = false;
  bool warned_no_body_ = false;
  std::string out_;
};

/// Create the types and the `_gunicornpp` module (once, with the GIL held).
void register_wsgi_types();

/// New per-request objects (new references). Call the matching *_end when the
/// request is over: later use from Python raises or reads b"".
PyObject* new_start_response(Responder* responder);
void start_response_end(PyObject* obj);
/// A bound `write` of a StartResponse (what start_response returns).
PyObject* start_response_write(PyObject* obj);
/// A bound `early_hints` of a StartResponse (environ['wsgi.early_hints']).
PyObject* start_response_early_hints(PyObject* obj);

PyObject* new_input(const core::RequestBody* body);
void input_end(PyObject* obj);

/// The worker's single wsgi.errors object.
PyObject* new_errors();

/// support.py's FileWrapper class (environ['wsgi.file_wrapper']), borrowed.
PyObject* file_wrapper_type();

}  // namespace gpp::py
