#include "python_shim/wsgi_streams.hpp"

#include <structmember.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <utility>
#include <vector>

#include "core/http/response.hpp"
#include "core/log/error_log.hpp"
#include "python_shim/interpreter.hpp"
#include "python_shim/support_module.hpp"

namespace gpp::py {
namespace {

constexpr std::string_view kServer = "gunicornpp/0.1.0";

/// Raise support.<cls>(repr(obj)) (gunicorn's InvalidHeader / InvalidHeaderName).
bool raise_support(const char* cls, PyObject* obj) {
  PyObject* type = PyObject_GetAttrString(support().ptr(), cls);
  if (!type) return false;
  PyObject* r = PyObject_Repr(obj);
  if (r) {
    PyErr_SetObject(type, r);
    Py_DECREF(r);
  }
  Py_DECREF(type);
  return false;
}

/// A str of latin-1 code points only, as bytes (borrowed view), or nullopt.
bool latin1_view(PyObject* s, std::string_view& out) {
  if (PyUnicode_READY(s) < 0 || PyUnicode_KIND(s) != PyUnicode_1BYTE_KIND) return false;
  out = std::string_view(reinterpret_cast<const char*>(PyUnicode_1BYTE_DATA(s)),
                         static_cast<std::size_t>(PyUnicode_GET_LENGTH(s)));
  return true;
}

/// gunicorn's HEADER_VALUE_RE: [ \t\x21-\x7e\x80-\xff]*
bool valid_value(std::string_view v) {
  for (unsigned char c : v)
    if (c < 0x20 ? c != '\t' : c == 0x7f) return false;
  return true;
}

/// Validate (name, value) pairs as gunicorn's Response.process_headers.
bool collect_headers(PyObject* headers, std::vector<std::pair<std::string, std::string>>& out) {
  PyObject* it = PyObject_GetIter(headers);
  if (!it) return false;
  bool ok = true;
  while (PyObject* item = PyIter_Next(it)) {
    PyObject* seq = PySequence_Fast(item, "cannot unpack non-iterable header");
    Py_DECREF(item);
    if (!seq) { ok = false; break; }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n != 2) {
      PyErr_Format(PyExc_ValueError, n > 2 ? "too many values to unpack (expected 2)"
                                           : "not enough values to unpack (expected 2, got %zd)", n);
      Py_DECREF(seq);
      ok = false;
      break;
    }
    PyObject* name = PySequence_Fast_GET_ITEM(seq, 0);
    PyObject* value = PySequence_Fast_GET_ITEM(seq, 1);
    std::string_view nv, vv;
    if (!PyUnicode_Check(name)) {
      PyErr_Format(PyExc_TypeError, "%R is not a string", name);
      ok = false;
    } else if (!latin1_view(name, nv) || !core::http::valid_header_name(nv)) {
      ok = raise_support("InvalidHeaderName", name);
    } else if (!PyUnicode_Check(value)) {
      PyErr_Format(PyExc_TypeError, "%R is not a string", value);
      ok = false;
    } else if (!latin1_view(value, vv) || !valid_value(vv)) {
      ok = raise_support("InvalidHeader", value);
    } else {
      out.emplace_back(std::string(nv), std::string(vv));
    }
    Py_DECREF(seq);
    if (!ok) break;
  }
  Py_DECREF(it);
  return ok && !PyErr_Occurred();
}

}  // namespace

bool Responder::require_started() {
  if (framer_.started()) return true;
  PyErr_SetString(PyExc_AssertionError, "write() before start_response()");
  return false;
}

bool Responder::start(PyObject* status, PyObject* headers, PyObject* exc_info) {
  if (exc_info && exc_info != Py_None && PyObject_IsTrue(exc_info) == 1) {
    if (framer_.started() && framer_.head_sent()) {
      // PEP 3333: too late to change the response; re-raise the app's error.
      PyObject* seq = PySequence_Fast(exc_info, "exc_info must be a (type, value, traceback) tuple");
      if (!seq) return false;
      if (PySequence_Fast_GET_SIZE(seq) == 3) {
        PyObject* t = PySequence_Fast_GET_ITEM(seq, 0);
        PyObject* v = PySequence_Fast_GET_ITEM(seq, 1);
        PyObject* tb = PySequence_Fast_GET_ITEM(seq, 2);
        Py_INCREF(t); Py_INCREF(v); Py_INCREF(tb);
        PyErr_Restore(t, v, tb == Py_None ? (Py_DECREF(tb), nullptr) : tb);
      } else {
        PyErr_SetString(PyExc_TypeError, "exc_info must be a (type, value, traceback) tuple");
      }
      Py_DECREF(seq);
      return false;
    }
  } else if (framer_.started()) {
    PyErr_SetString(PyExc_AssertionError, "Response headers already set!");
    return false;
  }
  std::string_view sv;
  if (!PyUnicode_Check(status)) {
    PyErr_Format(PyExc_TypeError, "status must be a str, not %.100s", Py_TYPE(status)->tp_name);
    return false;
  }
  if (!latin1_view(status, sv)) {
    PyErr_Format(PyExc_ValueError, "Invalid status: %R", status);
    return false;
  }
  std::vector<std::pair<std::string, std::string>> hs;
  if (!collect_headers(headers, hs)) return false;
  if (auto err = framer_.start(sv, std::move(hs))) {
    PyErr_SetString(PyExc_ValueError, err->c_str());
    return false;
  }
  return true;
}

bool Responder::flush() {
  if (out_.empty()) return true;
  bool ok = true;
  std::size_t done = sink_.try_write(out_);
  if (done < out_.size()) {
    GilRelease nogil;
    ok = sink_.write(std::string_view(out_).substr(done));
  }
  out_.clear();
  if (!ok) client_gone_ = true;
  return ok;
}

void Responder::body(std::string_view data) {
  if (framer_.omits_body() && !data.empty() && !warned_no_body_) {
    warned_no_body_ = true;
    core::log::warning("WSGI app sent body bytes on a no-body response (method=" + std::string(method_) +
                       " status=" + std::to_string(framer_.status_code()) + "); dropping per RFC 9110.");
  }
  out_ += framer_.take_head(kServer);
  framer_.frame_body(data, out_);
}

namespace {

bool bytes_view(PyObject* data, std::string_view& out) {
  if (!PyBytes_Check(data)) {
    PyErr_Format(PyExc_TypeError, "%R is not a byte", data);
    return false;
  }
  out = std::string_view(PyBytes_AS_STRING(data), static_cast<std::size_t>(PyBytes_GET_SIZE(data)));
  return true;
}

bool client_gone_error() {
  errno = EPIPE;
  PyErr_SetFromErrno(PyExc_OSError);
  return false;
}

}  // namespace

bool Responder::write(PyObject* data) {
  std::string_view v;
  if (!bytes_view(data, v) || !require_started()) return false;
  if (client_gone_) return client_gone_error();
  // PEP 3333: no headers before the first non-empty body bytes.
  if (v.empty()) return true;
  body(v);
  return flush() || client_gone_error();
}

bool Responder::write_last(PyObject* data) {
  std::string_view v;
  if (!bytes_view(data, v) || !require_started()) return false;
  if (client_gone_) return client_gone_error();
  body(v);
  out_.append(framer_.finish_bytes());
  return flush() || client_gone_error();
}

bool Responder::finish() {
  if (!require_started()) return false;
  if (client_gone_) return client_gone_error();
  out_ += framer_.take_head(kServer);
  out_.append(framer_.finish_bytes());
  return flush() || client_gone_error();
}

bool Responder::send_file(int fd, bool& handled) {
  handled = false;
  if (!require_started()) return false;
  off_t offset = ::lseek(fd, 0, SEEK_CUR);
  struct stat st {};
  if (offset < 0 || ::fstat(fd, &st) != 0) return true;  // not seekable: iterate instead
  std::uint64_t avail = st.st_size > offset ? static_cast<std::uint64_t>(st.st_size - offset) : 0;
  std::uint64_t n = avail;
  if (const auto& len = framer_.content_length()) {
    std::uint64_t left = *len > framer_.body_bytes_sent() ? *len - framer_.body_bytes_sent() : 0;
    n = std::min(left, avail);
  }
  handled = true;
  if (client_gone_) return client_gone_error();
  out_ += framer_.take_head(kServer);
  if (framer_.omits_body()) {
    if (n > 0) body(std::string_view("x", 1));  // only for the warning; nothing is framed
    return flush() || client_gone_error();
  }
  if (n == 0) return flush() || client_gone_error();
  if (framer_.chunked()) {
    char hex[20];
    auto [p, ec] = std::to_chars(hex, hex + sizeof hex, n, 16);
    (void)ec;
    for (char* c = hex; c < p; ++c)
      if (*c >= 'a' && *c <= 'f') *c = static_cast<char>(*c - 32);
    out_.append(hex, p);
    out_ += "\r\n";
  }
  if (!flush()) return client_gone_error();
  bool ok;
  {
    GilRelease nogil;
    ok = sink_.send_file(fd, offset, static_cast<std::size_t>(n));
  }
  ::lseek(fd, offset, SEEK_SET);  // as gunicorn: the file position is left where it was
  if (!ok) {
    client_gone_ = true;
    return client_gone_error();
  }
  framer_.note_body_sent(n);
  if (framer_.chunked()) out_ += "\r\n";
  return flush() || client_gone_error();
}

bool Responder::early_hints(PyObject* headers) {
  // gunicorn: silently ignored once the response started or for HTTP/1.0.
  if (framer_.head_sent() || !http11_ || client_gone_) return true;
  std::vector<std::pair<std::string, std::string>> hs;
  PyObject* it = PyObject_GetIter(headers);
  if (!it) return false;
  std::string out = "HTTP/1.1 103 Early Hints\r\n";
  bool ok = true;
  while (ok) {
    PyObject* item = PyIter_Next(it);
    if (!item) break;
    PyObject* pair = PySequence_Tuple(item);
    Py_DECREF(item);
    if (!pair || PyTuple_GET_SIZE(pair) != 2) {
      if (pair) PyErr_SetString(PyExc_ValueError, "early hint must be a (name, value) pair");
      Py_XDECREF(pair);
      ok = false;
      break;
    }
    PyObject* parts[2];
    for (int i = 0; i < 2; ++i) {
      PyObject* o = PyTuple_GET_ITEM(pair, i);
      parts[i] = PyBytes_Check(o) ? PyUnicode_DecodeLatin1(PyBytes_AS_STRING(o), PyBytes_GET_SIZE(o), nullptr)
                                  : (Py_INCREF(o), o);
    }
    std::string_view nv, vv;
    if (!parts[0] || !parts[1]) {
      ok = false;
    } else if (!PyUnicode_Check(parts[0]) || !latin1_view(parts[0], nv) || !core::http::valid_header_name(nv)) {
      ok = raise_support("InvalidHeaderName", parts[0]);
    } else if (!PyUnicode_Check(parts[1]) || !latin1_view(parts[1], vv) || !valid_value(vv)) {
      ok = raise_support("InvalidHeader", parts[0]);  // the name only: the value may be sensitive
    } else {
      while (!vv.empty() && (vv.front() == ' ' || vv.front() == '\t')) vv.remove_prefix(1);
      while (!vv.empty() && (vv.back() == ' ' || vv.back() == '\t')) vv.remove_suffix(1);
      out.append(nv).append(": ").append(vv).append("\r\n");
    }
    Py_XDECREF(parts[0]);
    Py_XDECREF(parts[1]);
    Py_DECREF(pair);
  }
  Py_DECREF(it);
  if (!ok || PyErr_Occurred()) return false;
  out += "\r\n";
  std::swap(out, out_);
  bool sent = flush();
  std::swap(out, out_);
  return sent || client_gone_error();
}

// ---------------------------------------------------------------- Python types

namespace {

struct StartResponseObject {
  PyObject_HEAD
  vectorcallfunc vectorcall;
  Responder* responder;
};

PyTypeObject* g_start_type = nullptr;
PyObject* g_file_wrapper = nullptr;

bool ended(StartResponseObject* self) {
  if (self->responder) return false;
  PyErr_SetString(PyExc_RuntimeError, "start_response used after its request ended");
  return true;
}

PyObject* sr_write(PyObject* self, PyObject* data) {
  auto* s = reinterpret_cast<StartResponseObject*>(self);
  if (ended(s) || !s->responder->write(data)) return nullptr;
  Py_RETURN_NONE;
}

PyObject* sr_early_hints(PyObject* self, PyObject* headers) {
  auto* s = reinterpret_cast<StartResponseObject*>(self);
  if (ended(s) || !s->responder->early_hints(headers)) return nullptr;
  Py_RETURN_NONE;
}

PyMethodDef g_write_def = {"write", sr_write, METH_O, "write(data): send body bytes (PEP 3333)."};
PyMethodDef g_hints_def = {"early_hints", sr_early_hints, METH_O, "Send a 103 Early Hints response."};

PyObject* sr_vectorcall(PyObject* callable, PyObject* const* args, std::size_t nargsf, PyObject* kwnames) {
  auto* s = reinterpret_cast<StartResponseObject*>(callable);
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  PyObject* a[3] = {nullptr, nullptr, nullptr};
  if (nargs > 3) {
    PyErr_Format(PyExc_TypeError, "start_response() takes at most 3 arguments (%zd given)", nargs);
    return nullptr;
  }
  for (Py_ssize_t i = 0; i < nargs; ++i) a[i] = args[i];
  if (kwnames) {
    static const char* names[3] = {"status", "headers", "exc_info"};
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(kwnames); ++k) {
      PyObject* kw = PyTuple_GET_ITEM(kwnames, k);
      int slot = -1;
      for (int j = 0; j < 3; ++j)
        if (PyUnicode_CompareWithASCIIString(kw, names[j]) == 0) slot = j;
      if (slot < 0 || a[slot]) {
        PyErr_Format(PyExc_TypeError, "start_response() got an unexpected keyword argument %R", kw);
        return nullptr;
      }
      a[slot] = args[nargs + k];
    }
  }
  if (!a[0] || !a[1]) {
    PyErr_SetString(PyExc_TypeError, "start_response() missing required argument 'status' or 'headers'");
    return nullptr;
  }
  if (ended(s) || !s->responder->start(a[0], a[1], a[2])) return nullptr;
  return PyCFunction_New(&g_write_def, callable);
}

void sr_dealloc(PyObject* self) {
  PyTypeObject* tp = Py_TYPE(self);
  tp->tp_free(self);
  Py_DECREF(tp);
}

PyMemberDef g_sr_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(StartResponseObject, vectorcall), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr}};
PyMethodDef g_sr_methods[] = {g_write_def, g_hints_def, {nullptr, nullptr, 0, nullptr}};

PyType_Slot g_sr_slots[] = {{Py_tp_dealloc, reinterpret_cast<void*>(sr_dealloc)},
                            {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
                            {Py_tp_members, g_sr_members},
                            {Py_tp_methods, g_sr_methods},
                            {0, nullptr}};
PyType_Spec g_sr_spec = {"_gunicornpp.StartResponse", sizeof(StartResponseObject), 0,
                         Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL, g_sr_slots};

}  // namespace

void register_input_types(PyObject* module);  // wsgi_input.cpp

void register_wsgi_types() {
  if (g_start_type) return;
  PyObject* m = PyModule_New("_gunicornpp");
  if (!m) throw pybind11::error_already_set();
  g_start_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&g_sr_spec));
  if (!g_start_type) throw pybind11::error_already_set();
  Py_INCREF(g_start_type);
  PyModule_AddObject(m, "StartResponse", reinterpret_cast<PyObject*>(g_start_type));
  register_input_types(m);
  g_file_wrapper = PyObject_GetAttrString(support().ptr(), "FileWrapper");
  if (!g_file_wrapper) throw pybind11::error_already_set();
  PyObject* modules = PyImport_GetModuleDict();
  PyDict_SetItemString(modules, "_gunicornpp", m);
  Py_DECREF(m);
}

PyObject* file_wrapper_type() { return g_file_wrapper; }

PyObject* new_start_response(Responder* responder) {
  auto* o = PyObject_New(StartResponseObject, g_start_type);
  if (!o) throw pybind11::error_already_set();
  o->vectorcall = sr_vectorcall;
  o->responder = responder;
  return reinterpret_cast<PyObject*>(o);
}

void start_response_end(PyObject* obj) { reinterpret_cast<StartResponseObject*>(obj)->responder = nullptr; }

PyObject* start_response_write(PyObject* obj) { return PyCFunction_New(&g_write_def, obj); }
PyObject* start_response_early_hints(PyObject* obj) { return PyCFunction_New(&g_hints_def, obj); }

}  // namespace gpp::py
