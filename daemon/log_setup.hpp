#pragma once
// Logging set up again from a reloaded configuration (HUP), as gunicorn's
// Arbiter.setup calls Logger.setup(cfg) on reload: error log file and level,
// access log file and format, statsd, capture_output, and Python logging
// (syslog, logconfig, logconfig_dict, logconfig_json). Workers spawned after
// it inherit the new sinks; running workers keep theirs.
#include "config/config.hpp"

namespace gpp::daemon {

/// Apply `next`'s logging settings. When one cannot be applied (a log file
/// that cannot be opened, an invalid logging config), says so and goes back
/// to `previous`'s, as gunicorn keeps the previous logger. Returns false then.
bool reload_logging(const config::Config& next, const config::Config& previous);

}  // namespace gpp::daemon
