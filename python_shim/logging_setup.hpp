#pragma once
// Python's `logging` configured as gunicorn's glogging.Logger.setup does, so
// the app's `gunicorn.error` / `gunicorn.access` records reach the same files
// as our C++ lines, and syslog, logconfig (ini), logconfig_dict and
// logconfig_json apply. No Python types here.
#include "config/config.hpp"

namespace gpp::py {

/// Call once in the arbiter after the log sinks are configured (workers
/// inherit it across fork). When syslog or a logging config is in use,
/// routes gunicornpp's own error-log and access-log lines through Python
/// logging too (as gunicorn, whose lines are all Python records). Registers
/// the USR1 hook that reopens Python's FileHandlers. Returns false after
/// logging the error when the configuration is invalid (gunicorn exits 1).
bool setup_logging(const config::Config& cfg);

}  // namespace gpp::py
