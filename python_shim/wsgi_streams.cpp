#include "python_shim/wsgi_streams.hpp"

#include <Python.h>

#include <cerrno>
#include <cstring>

#include "python_shim/interpreter.hpp"

namespace gpp::py {
namespace pyb = pybind11;

namespace {

constexpr std::size_t kBlock = 8192;

/// None or a negative size means "all"; anything else must be an int.
std::size_t size_arg(const pyb::object& size, std::size_t all) {
  if (size.is_none()) return all;
  if (!PyLong_Check(size.ptr())) throw pyb::type_error("size must be an integer type");
  long long n = size.cast<long long>();
  if (n < 0) return all;
  return static_cast<std::size_t>(n) < all ? static_cast<std::size_t>(n) : all;
}

pyb::bytes bytes_of_size(std::size_t n, const core::RequestBody& body, std::size_t pos) {
  if (!body.spooled()) return pyb::bytes(body.memory().data() + pos, n);
  PyObject* b = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(n));
  if (!b) throw pyb::error_already_set();
  body.read_at(pos, PyBytes_AS_STRING(b), n);
  return pyb::reinterpret_steal<pyb::bytes>(b);
}

}  // namespace

pyb::bytes InputStream::read(pyb::object size) {
  std::size_t n = size_arg(size, remaining());
  if (n == 0) return pyb::bytes("", 0);
  pyb::bytes out = bytes_of_size(n, *body_, pos_);
  pos_ += n;
  return out;
}

pyb::bytes InputStream::readline(pyb::object size) {
  std::size_t limit = size_arg(size, remaining());
  if (limit == 0) return pyb::bytes("", 0);
  std::size_t n = 0;
  if (!body_->spooled()) {
    const char* start = body_->memory().data() + pos_;
    const void* nl = std::memchr(start, '\n', limit);
    n = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - start) + 1 : limit;
  } else {
    char buf[kBlock];
    while (n < limit) {
      std::size_t got = body_->read_at(pos_ + n, buf, std::min(kBlock, limit - n));
      if (got == 0) break;
      const void* nl = std::memchr(buf, '\n', got);
      if (nl) {
        n += static_cast<std::size_t>(static_cast<const char*>(nl) - buf) + 1;
        break;
      }
      n += got;
    }
  }
  pyb::bytes out = bytes_of_size(n, *body_, pos_);
  pos_ += n;
  return out;
}

pyb::list InputStream::readlines(pyb::object hint) {
  pyb::list lines;
  std::size_t total = 0;
  std::size_t limit = size_arg(hint, static_cast<std::size_t>(-1));
  if (!hint.is_none() && limit == 0) limit = static_cast<std::size_t>(-1);
  while (remaining() > 0) {
    pyb::bytes line = readline(pyb::none());
    total += static_cast<std::size_t>(PyBytes_GET_SIZE(line.ptr()));
    lines.append(line);
    if (total >= limit) break;
  }
  return lines;
}

pyb::object InputStream::next() {
  pyb::bytes line = readline(pyb::none());
  if (PyBytes_GET_SIZE(line.ptr()) == 0) throw pyb::stop_iteration();
  return line;
}

pyb::object StartResponse::call(pyb::object status, pyb::object headers, pyb::object exc_info) {
  if (!framer_) throw pyb::value_error("start_response called after the request ended");
  if (!exc_info.is_none()) {
    if (framer_->head_sent()) {
      // PEP 3333: re-raise the original exception once headers are out.
      pyb::tuple info = exc_info;
      pyb::object type = info[0], value = info[1], tb = info[2];
      PyErr_Restore(type.release().ptr(), value.release().ptr(), tb.release().ptr());
      throw pyb::error_already_set();
    }
  } else if (framer_->started()) {
    PyErr_SetString(PyExc_AssertionError, "Response headers already set!");
    throw pyb::error_already_set();
  }
  if (!PyUnicode_Check(status.ptr())) throw pyb::type_error("status must be a str");
  std::vector<std::pair<std::string, std::string>> hs;
  if (!PyList_Check(headers.ptr())) throw pyb::type_error("headers must be a list");
  for (auto item : headers) {
    if (!PyTuple_Check(item.ptr()) || PyTuple_GET_SIZE(item.ptr()) != 2)
      throw pyb::type_error("header must be a (name, value) tuple");
    PyObject* name = PyTuple_GET_ITEM(item.ptr(), 0);
    PyObject* value = PyTuple_GET_ITEM(item.ptr(), 1);
    if (!PyUnicode_Check(name))
      throw pyb::type_error(pyb::repr(pyb::handle(name)).cast<std::string>() + " is not a string");
    if (!PyUnicode_Check(value))
      throw pyb::type_error(pyb::repr(pyb::handle(value)).cast<std::string>() + " is not a string");
    hs.emplace_back(pyb::handle(name).cast<std::string>(), pyb::handle(value).cast<std::string>());
  }
  if (auto err = framer_->start(status.cast<std::string>(), std::move(hs))) throw pyb::value_error(*err);
  return pyb::cast(this).attr("write");
}

bool StartResponse::flush(std::string& out) {
  if (out.empty()) return true;
  bool ok;
  {
    GilRelease nogil;
    ok = sink_->write(out);
  }
  out.clear();
  if (!ok) client_gone_ = true;
  return ok;
}

bool StartResponse::send(std::string_view data) {
  if (!framer_ || client_gone_) return false;
  out_ += framer_->take_head("gunicornpp/0.1.0");
  framer_->frame_body(data, out_);
  return flush(out_);
}

bool StartResponse::finish() {
  if (!framer_ || client_gone_) return false;
  out_ += framer_->take_head("gunicornpp/0.1.0");
  out_.append(framer_->finish_bytes());
  return flush(out_);
}

void StartResponse::write(pyb::object data) {
  if (!PyBytes_Check(data.ptr()))
    throw pyb::type_error(pyb::repr(data).cast<std::string>() + " is not a byte");
  if (!framer_ || !framer_->started()) {
    PyErr_SetString(PyExc_AssertionError, "write() before start_response()");
    throw pyb::error_already_set();
  }
  char* p;
  Py_ssize_t n;
  PyBytes_AsStringAndSize(data.ptr(), &p, &n);
  if (!send(std::string_view(p, static_cast<std::size_t>(n)))) {
    errno = EPIPE;
    PyErr_SetFromErrno(PyExc_OSError);
    throw pyb::error_already_set();
  }
}

void register_wsgi_types() {
  static bool done = false;
  if (done) return;
  done = true;
  pyb::module_ m = pyb::module_::create_extension_module("_gunicornpp", nullptr, new PyModuleDef());
  pyb::class_<InputStream>(m, "InputStream")
      .def("read", &InputStream::read, pyb::arg("size") = pyb::none())
      .def("readline", &InputStream::readline, pyb::arg("size") = pyb::none())
      .def("readlines", &InputStream::readlines, pyb::arg("hint") = pyb::none())
      .def("__iter__", [](pyb::object self) { return self; })
      .def("__next__", &InputStream::next);
  pyb::class_<StartResponse>(m, "StartResponse")
      .def("__call__", &StartResponse::call, pyb::arg("status"), pyb::arg("headers"),
           pyb::arg("exc_info") = pyb::none())
      .def("write", &StartResponse::write);
  pyb::module_::import("sys").attr("modules")["_gunicornpp"] = m;
}

pyb::object make_input(const core::RequestBody* body, InputStream** raw) {
  auto* p = new InputStream(body);
  *raw = p;
  return pyb::cast(p, pyb::return_value_policy::take_ownership);
}

pyb::object make_start_response(core::ResponseFramer* framer, ResponseSink* sink, StartResponse** raw) {
  auto* p = new StartResponse(framer, sink);
  *raw = p;
  return pyb::cast(p, pyb::return_value_policy::take_ownership);
}

}  // namespace gpp::py
