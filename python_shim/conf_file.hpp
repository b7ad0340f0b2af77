#pragma once
// Executing gunicorn.conf.py (or python:module) with the embedded interpreter.
#include <string>

#include "config/value.hpp"

namespace gpp::py {

/// Execute the config file/module and return the module-level names that are
/// settings (unknown names ignored, as gunicorn). Callables are kept here under
/// their setting name for hooks. On failure prints gunicorn's
/// "Failed to read config file: ..." with the traceback to stderr and throws
/// config::ConfigError(status 1). `spec` is a path, "file:path" or "python:module".
config::RawSettings load_python_config(const std::string& spec);

/// True when the config file defined a callable for this hook.
[[nodiscard]] bool has_hook(const std::string& name);

}  // namespace gpp::py
