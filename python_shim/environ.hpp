#pragma once
// Private to python_shim: the WSGI environ as gunicorn 26.1's http/wsgi.py
// create() builds it, except PATH_INFO follows PEP 3333 (raw bytes -> latin-1).
#include <pybind11/pybind11.h>

#include <string>

#include "python_shim/wsgi_app.hpp"

namespace gpp::py {

/// The keys that are the same for every request of a worker (copied per request).
pybind11::dict base_environ(const ServerInfo& server);

/// Thrown when the path does not start with SCRIPT_NAME (gunicorn's
/// ConfigurationProblem -> 500).
struct ConfigurationProblem : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Fill the per-request keys into `env` (a copy of base_environ).
void fill_environ(pybind11::dict& env, const RequestContext& ctx, const std::string& default_script_name);

/// Percent-decode `path` as bytes, result as a latin-1 str (PEP 3333).
pybind11::str unquote_to_wsgi_str(std::string_view path);

}  // namespace gpp::py
