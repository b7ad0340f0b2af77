#include "daemon/log_setup.hpp"

#include <iostream>

#include "core/log/error_log.hpp"
#include "python_shim/logging_setup.hpp"
#include "workers/access_log.hpp"

namespace gpp::daemon {
namespace {

/// The steps serve() runs at start. Python logging first: an invalid
/// logging config is then reported in the log that stays in use.
bool apply(const config::Config& cfg) {
  if (!py::setup_logging(cfg)) return false;
  core::log::Level level = core::log::Level::Info;
  if (!core::log::parse_level(cfg.get_string("loglevel"), level)) level = core::log::Level::Info;
  if (!core::log::configure(cfg.get_string("errorlog"), level)) {
    core::log::error("Error: could not open the error log " + cfg.get_string("errorlog"));
    return false;
  }
  return workers::configure_logging(cfg);  // after the error log: capture_output follows it
}

}  // namespace

bool reload_logging(const config::Config& next, const config::Config& previous) {
  if (apply(next)) return true;
  // gunicorn 26.1 Arbiter.setup: the failure goes to stderr, the previous
  // configuration is restored and the master keeps running with it.
  std::cerr << "\nError: reloading the logger configuration failed, keeping the previous one" << std::endl;
  if (!apply(previous)) std::cerr << "Error: restoring the previous logger configuration failed" << std::endl;
  return false;
}

}  // namespace gpp::daemon
