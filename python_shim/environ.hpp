#pragma once
// Private to python_shim: the WSGI environ as gunicorn 26.1's http/wsgi.py
// create() builds it, except PATH_INFO follows PEP 3333 (raw bytes -> latin-1).
// Built with the C API: interned keys, PyDict_SetItem, no pybind11 on the hot path.
#include <Python.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "python_shim/wsgi_app.hpp"

namespace gpp::py {

/// The keys that are the same for every request of a worker (copied per
/// request). New reference; nullptr with a Python error set on failure.
PyObject* base_environ(const ServerInfo& server);

/// Thrown when the path does not start with SCRIPT_NAME (gunicorn's
/// ConfigurationProblem -> "500 Bad Request"). what() is str(exc), UTF-8;
/// page() is the same text encoded latin-1 for the error page.
struct ConfigurationProblem : std::runtime_error {
  ConfigurationProblem(const std::string& utf8, std::string latin1)
      : std::runtime_error(utf8), page_text(std::move(latin1)) {}
  std::string page_text;
};

/// Fill the per-request CGI keys into `env` (a copy of base_environ).
/// Throws ConfigurationProblem, or pybind11::error_already_set on a Python error.
void fill_environ(PyObject* env, const RequestContext& ctx, const std::string& default_script_name);

/// Read `keys` (lower-cased) back from the environ after the app ran, into
/// `out` (gunicorn's access log sees what the app or middleware set). A key
/// matches case-insensitively; with several matches the last one in dict
/// order wins, as in gunicorn's atoms. Never raises.
void capture_environ(PyObject* env, const std::vector<std::string>& keys, core::log::AppEnviron& out);

/// Percent-decode `path` as bytes, result as a latin-1 str (PEP 3333). New reference.
PyObject* unquote_to_wsgi_str(std::string_view path);

/// A new interned str that is never freed (for environ keys).
PyObject* intern_key(const char* name);

/// The interned str for a literal environ key, made once per call site: no
/// lookup on the hot path.
#define GPP_ENVIRON_KEY(literal)                                   \
  ([]() -> PyObject* {                                             \
    static PyObject* const key = ::gpp::py::intern_key(literal);   \
    return key;                                                    \
  }())

}  // namespace gpp::py
