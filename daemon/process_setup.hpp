#pragma once
// Process-level settings applied in the arbiter before binding:
// chdir, pythonpath, raw_env; and the start-up warning for settings whose
// behaviour is not implemented yet.
#include "config/config.hpp"

namespace gpp::daemon {

/// chdir (then the directory goes first on sys.path, as gunicorn), pythonpath, raw_env.
void apply_process_settings(const config::Config& cfg);
/// One warning line per non-default setting whose behaviour is not implemented.
void warn_unsupported_settings(const config::Config& cfg);

}  // namespace gpp::daemon
