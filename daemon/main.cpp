// gunicornpp: read the configuration the way gunicorn does, bind, and hand
// over to the arbiter. Exit statuses are gunicorn's (2 usage, 1 config or
// bind failure, 3/4 worker boot / app load failures).
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "config/load.hpp"
#include "core/log/error_log.hpp"
#include "daemon/arbiter.hpp"
#include "daemon/listeners.hpp"
#include "daemon/process_setup.hpp"
#include "python_shim/conf_file.hpp"
#include "python_shim/interpreter.hpp"
#include "python_shim/wsgi_app.hpp"
#include "workers/worker.hpp"

namespace {

using namespace gpp;

int usage_error(const std::string& message) {
  std::cerr << "usage: gunicornpp [OPTIONS] [APP_MODULE]\ngunicornpp: error: " << message << "\n";
  return 2;
}

int serve(const std::vector<std::string>& args) {
  config::Loaded loaded = config::load_configuration(args, py::load_python_config);
  config::Config& cfg = loaded.config;
  if (loaded.cli.show_help) {
    std::cout << config::help_text();
    return 0;
  }
  if (loaded.cli.show_version) {
    std::cout << config::version_text() << "\n";
    return 0;
  }
  core::log::Level level = core::log::Level::Info;
  if (!core::log::parse_level(cfg.get_string("loglevel"), level)) level = core::log::Level::Info;
  if (!core::log::configure(cfg.get_string("errorlog"), level)) {
    std::cerr << "Error: could not open the error log " << cfg.get_string("errorlog") << "\n";
    return 1;
  }
  daemon::apply_process_settings(cfg);

  if (cfg.get_bool("print_config")) std::cout << config::print_config(cfg) << std::flush;
  if (!cfg.app_uri) return usage_error("No application module specified.");
  if (cfg.get_bool("print_config") || cfg.get_bool("check_config")) {
    try {
      py::WsgiApp::load(*cfg.app_uri);
    } catch (const py::AppLoadError& e) {
      std::cerr << "\nError while loading the application:\n\n" << e.what() << "\n";
      return 1;
    }
    return 0;
  }
  daemon::warn_unsupported_settings(cfg);

  core::log::info("Starting gunicornpp " + std::string(config::kVersion));
  std::vector<daemon::BoundListener> listeners;
  try {
    listeners = daemon::bind_listeners(cfg.get_list("bind"), static_cast<int>(cfg.get_int("backlog")),
                                       cfg.get_bool("reuse_port"), static_cast<int>(cfg.get_int("umask")));
  } catch (const std::exception& e) {
    core::log::error(e.what());
    return 1;
  }
  std::string urls;
  for (const auto& l : listeners) urls += (urls.empty() ? "" : ",") + l.url;
  core::log::info("Listening at: " + urls + " (" + std::to_string(::getpid()) + ")");
  core::log::info("Using worker: " + cfg.worker_class());

  py::WsgiApp preloaded;
  if (cfg.get_bool("preload_app")) {
    try {
      preloaded = py::WsgiApp::load(*cfg.app_uri);
    } catch (const py::AppLoadError& e) {
      std::cerr << e.what() << "\n";
      return 1;
    }
  }
  auto reload = [args]() { return config::load_configuration(args, py::load_python_config).config; };
  daemon::Arbiter arbiter(std::move(cfg), std::move(listeners), reload,
                          preloaded.loaded() ? &preloaded : nullptr);
  return arbiter.run();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    gpp::py::initialize(std::vector<std::string>(argv, argv + argc));
    return serve(args);
  } catch (const gpp::config::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return e.exit_status;
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return 1;
  }
}
