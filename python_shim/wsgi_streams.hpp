#pragma once
// Private to python_shim: the Python-visible objects of one request —
// wsgi.input over the C++ body buffer, and start_response/write.
#include <pybind11/pybind11.h>

#include <string>

#include "core/request_body.hpp"
#include "core/response_framer.hpp"
#include "python_shim/wsgi_app.hpp"

namespace gpp::py {

/// wsgi.input: reads the body C++ buffered before the app ran.
class InputStream {
 public:
  explicit InputStream(const core::RequestBody* body) : body_(body) {}
  pybind11::bytes read(pybind11::object size);
  pybind11::bytes readline(pybind11::object size);
  pybind11::list readlines(pybind11::object hint);
  pybind11::object next();
  /// The request is over: later reads return b"".
  void detach() { body_ = nullptr; }

 private:
  std::size_t remaining() const { return body_ ? body_->size() - pos_ : 0; }
  const core::RequestBody* body_;
  std::size_t pos_ = 0;
};

/// start_response and the write() callable it returns.
class StartResponse {
 public:
  StartResponse(core::ResponseFramer* framer, ResponseSink* sink) : framer_(framer), sink_(sink) {}
  pybind11::object call(pybind11::object status, pybind11::object headers, pybind11::object exc_info);
  void write(pybind11::object data);
  /// Frame and send `data` (head first if not yet sent). Returns false if the client is gone.
  bool send(std::string_view data);
  /// Send the head (if not sent) and the body terminator.
  bool finish();
  void detach() { framer_ = nullptr; sink_ = nullptr; }
  [[nodiscard]] bool client_gone() const { return client_gone_; }

 private:
  bool flush(std::string& out);
  core::ResponseFramer* framer_;
  ResponseSink* sink_;
  bool client_gone_ = false;
  std::string out_;
};

/// Register the classes in the `_gunicornpp` module (once).
void register_wsgi_types();
/// Python type objects for constructing instances from C++.
pybind11::object make_input(const core::RequestBody* body, InputStream** raw);
pybind11::object make_start_response(core::ResponseFramer* framer, ResponseSink* sink, StartResponse** raw);

}  // namespace gpp::py
