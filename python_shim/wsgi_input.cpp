// wsgi.input (InputStream) and wsgi.errors (ErrorsStream) as C-level types.
// wsgi.input follows gunicorn's http/body.py Body: read/readline take None or
// a negative size for "all", other non-ints raise TypeError("size must be an
// integral type"); readlines ignores its hint; iteration yields lines.
#include <pybind11/pybind11.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "core/log/error_log.hpp"
#include "python_shim/wsgi_streams.hpp"

namespace gpp::py {
namespace {

constexpr std::size_t kBlock = 8192;

struct InputObject {
  PyObject_HEAD
  const core::RequestBody* body;
  std::size_t pos;
};

std::size_t remaining(const InputObject* s) { return s->body ? s->body->size() - s->pos : 0; }

/// gunicorn's Body.getsize: None or negative -> all; non-int -> TypeError.
bool size_arg(PyObject* size, std::size_t all, std::size_t& out) {
  out = all;
  if (!size || size == Py_None) return true;
  if (!PyLong_Check(size)) {
    PyErr_SetString(PyExc_TypeError, "size must be an integral type");
    return false;
  }
  int overflow = 0;
  long long n = PyLong_AsLongLongAndOverflow(size, &overflow);
  if (n == -1 && PyErr_Occurred()) return false;
  if (overflow > 0) return true;
  if (overflow < 0 || n < 0) return true;
  if (static_cast<unsigned long long>(n) < all) out = static_cast<std::size_t>(n);
  return true;
}

/// `n` body bytes at the stream position as a new bytes object; advances.
PyObject* take(InputObject* s, std::size_t n) {
  if (n == 0) return PyBytes_FromStringAndSize("", 0);
  PyObject* b;
  if (!s->body->spooled()) {
    b = PyBytes_FromStringAndSize(s->body->memory().data() + s->pos, static_cast<Py_ssize_t>(n));
  } else {
    b = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(n));
    if (b && s->body->read_at(s->pos, PyBytes_AS_STRING(b), n) != n) {
      Py_DECREF(b);
      PyErr_SetString(PyExc_OSError, "cannot read the spooled request body");
      return nullptr;
    }
  }
  if (b) s->pos += n;
  return b;
}

/// Length of the next line (up to and including '\n'), at most `limit`.
std::size_t line_length(const InputObject* s, std::size_t limit) {
  if (!s->body->spooled()) {
    const char* start = s->body->memory().data() + s->pos;
    const void* nl = std::memchr(start, '\n', limit);
    return nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - start) + 1 : limit;
  }
  char buf[kBlock];
  std::size_t n = 0;
  while (n < limit) {
    std::size_t got = s->body->read_at(s->pos + n, buf, std::min(kBlock, limit - n));
    if (got == 0) break;
    if (const void* nl = std::memchr(buf, '\n', got))
      return n + static_cast<std::size_t>(static_cast<const char*>(nl) - buf) + 1;
    n += got;
  }
  return n;
}

PyObject* one_size_arg(PyObject* args, PyObject* kwargs, const char* fmt, char** kwlist, PyObject** size) {
  *size = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, fmt, kwlist, size)) return nullptr;
  return Py_None;
}

PyObject* in_read(PyObject* self, PyObject* args, PyObject* kwargs) {
  static char* kw[] = {const_cast<char*>("size"), nullptr};
  PyObject* size;
  if (!one_size_arg(args, kwargs, "|O:read", kw, &size)) return nullptr;
  auto* s = reinterpret_cast<InputObject*>(self);
  std::size_t n;
  if (!size_arg(size, remaining(s), n)) return nullptr;
  return take(s, n);
}

PyObject* readline_impl(InputObject* s, PyObject* size) {
  std::size_t limit;
  if (!size_arg(size, remaining(s), limit)) return nullptr;
  return take(s, limit == 0 ? 0 : line_length(s, limit));
}

PyObject* in_readline(PyObject* self, PyObject* args, PyObject* kwargs) {
  static char* kw[] = {const_cast<char*>("size"), nullptr};
  PyObject* size;
  if (!one_size_arg(args, kwargs, "|O:readline", kw, &size)) return nullptr;
  return readline_impl(reinterpret_cast<InputObject*>(self), size);
}

PyObject* in_readlines(PyObject* self, PyObject* args, PyObject* kwargs) {
  static char* kw[] = {const_cast<char*>("size"), nullptr};
  PyObject* hint;  // ignored, as gunicorn's Body.readlines (PEP 3333 allows it)
  if (!one_size_arg(args, kwargs, "|O:readlines", kw, &hint)) return nullptr;
  auto* s = reinterpret_cast<InputObject*>(self);
  PyObject* lines = PyList_New(0);
  while (lines && remaining(s) > 0) {
    PyObject* line = take(s, line_length(s, remaining(s)));
    if (!line || PyList_Append(lines, line) < 0) Py_CLEAR(lines);
    Py_XDECREF(line);
  }
  return lines;
}

PyObject* in_iter(PyObject* self) {
  Py_INCREF(self);
  return self;
}

PyObject* in_next(PyObject* self) {
  auto* s = reinterpret_cast<InputObject*>(self);
  if (remaining(s) == 0) return nullptr;  // StopIteration
  return take(s, line_length(s, remaining(s)));
}

void plain_dealloc(PyObject* self) {
  PyTypeObject* tp = Py_TYPE(self);
  tp->tp_free(self);
  Py_DECREF(tp);
}

PyMethodDef g_in_methods[] = {
    {"read", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(in_read)), METH_VARARGS | METH_KEYWORDS,
     "read(size=None)"},
    {"readline", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(in_readline)),
     METH_VARARGS | METH_KEYWORDS, "readline(size=None)"},
    {"readlines", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(in_readlines)),
     METH_VARARGS | METH_KEYWORDS, "readlines(hint=None)"},
    {nullptr, nullptr, 0, nullptr}};
PyType_Slot g_in_slots[] = {{Py_tp_dealloc, reinterpret_cast<void*>(plain_dealloc)},
                            {Py_tp_iter, reinterpret_cast<void*>(in_iter)},
                            {Py_tp_iternext, reinterpret_cast<void*>(in_next)},
                            {Py_tp_methods, g_in_methods},
                            {0, nullptr}};
PyType_Spec g_in_spec = {"_gunicornpp.InputStream", sizeof(InputObject), 0, Py_TPFLAGS_DEFAULT, g_in_slots};

// wsgi.errors: gunicorn's WSGIErrorsWrapper writes the text as is (no log
// line prefix) to the error log's stream; so do we, to the error log's fd.
void write_raw(std::string_view data) {
  int fd = core::log::fd();
  while (!data.empty()) {
    ssize_t w = ::write(fd, data.data(), data.size());
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(w));
  }
}

bool write_text(PyObject* data) {
  if (PyBytes_Check(data)) {
    write_raw(std::string_view(PyBytes_AS_STRING(data), static_cast<std::size_t>(PyBytes_GET_SIZE(data))));
    return true;
  }
  if (!PyUnicode_Check(data)) {
    PyErr_Format(PyExc_TypeError, "write() argument must be str, not %.100s", Py_TYPE(data)->tp_name);
    return false;
  }
  Py_ssize_t n;
  const char* p = PyUnicode_AsUTF8AndSize(data, &n);
  if (!p) return false;
  write_raw(std::string_view(p, static_cast<std::size_t>(n)));
  return true;
}

PyObject* err_write(PyObject*, PyObject* data) {
  if (!write_text(data)) return nullptr;
  return PyLong_FromSsize_t(PyUnicode_Check(data) ? PyUnicode_GET_LENGTH(data) : PyBytes_GET_SIZE(data));
}

PyObject* err_writelines(PyObject*, PyObject* seq) {
  PyObject* it = PyObject_GetIter(seq);
  if (!it) return nullptr;
  while (PyObject* item = PyIter_Next(it)) {
    bool ok = write_text(item);
    Py_DECREF(item);
    if (!ok) break;
  }
  Py_DECREF(it);
  if (PyErr_Occurred()) return nullptr;
  Py_RETURN_NONE;
}

PyObject* err_flush(PyObject*, PyObject*) { Py_RETURN_NONE; }

PyMethodDef g_err_methods[] = {{"write", err_write, METH_O, "write(str)"},
                               {"writelines", err_writelines, METH_O, "writelines(iterable of str)"},
                               {"flush", err_flush, METH_NOARGS, "flush()"},
                               {nullptr, nullptr, 0, nullptr}};
PyType_Slot g_err_slots[] = {{Py_tp_dealloc, reinterpret_cast<void*>(plain_dealloc)},
                             {Py_tp_methods, g_err_methods},
                             {0, nullptr}};
PyType_Spec g_err_spec = {"_gunicornpp.ErrorsStream", sizeof(PyObject), 0, Py_TPFLAGS_DEFAULT, g_err_slots};

PyTypeObject* g_in_type = nullptr;
PyTypeObject* g_err_type = nullptr;

}  // namespace

void register_input_types(PyObject* module) {
  g_in_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&g_in_spec));
  g_err_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&g_err_spec));
  if (!g_in_type || !g_err_type) throw pybind11::error_already_set();
  Py_INCREF(g_in_type);
  Py_INCREF(g_err_type);
  PyModule_AddObject(module, "InputStream", reinterpret_cast<PyObject*>(g_in_type));
  PyModule_AddObject(module, "ErrorsStream", reinterpret_cast<PyObject*>(g_err_type));
}

PyObject* new_input(const core::RequestBody* body) {
  auto* o = PyObject_New(InputObject, g_in_type);
  if (!o) throw pybind11::error_already_set();
  o->body = body;
  o->pos = 0;
  return reinterpret_cast<PyObject*>(o);
}

void input_end(PyObject* obj) { reinterpret_cast<InputObject*>(obj)->body = nullptr; }

PyObject* new_errors() {
  PyObject* o = PyObject_New(PyObject, g_err_type);
  if (!o) throw pybind11::error_already_set();
  return o;
}

}  // namespace gpp::py
