// gunicornpp: read the configuration the way gunicorn does, bind, and hand
// over to the arbiter. Exit statuses are gunicorn's (2 usage, 1 config or
// bind failure, 3/4 worker boot / app load failures).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "config/load.hpp"
#include "core/log/error_log.hpp"
#include "daemon/arbiter.hpp"
#include "daemon/listeners.hpp"
#include "daemon/pidfile.hpp"
#include "daemon/proc_title.hpp"
#include "daemon/process_setup.hpp"
#include "python_shim/conf_file.hpp"
#include "python_shim/gevent_hub.hpp"
#include "python_shim/hooks.hpp"
#include "python_shim/interpreter.hpp"
#include "python_shim/logging_setup.hpp"
#include "python_shim/wsgi_app.hpp"
#include "workers/access_log.hpp"
#include "workers/worker.hpp"

namespace {

using namespace gpp;

/// The environment before raw_env (gunicorn's cfg.env_orig; HUP restores it).
daemon::EnvSnapshot g_env_orig;
/// The command line and directory at start (USR2 execs them again).
std::vector<std::string> g_argv;
std::string g_start_cwd;

/// USR2's new master: the old master's pid (GUNICORN_PID), or 0.
pid_t reexec_parent() {
  const char* pid = std::getenv("GUNICORN_PID");
  return pid ? static_cast<pid_t>(std::atol(pid)) : 0;
}

/// The listener fds the old master handed over in GUNICORN_FD (then unset).
std::vector<int> gunicorn_fds() {
  std::vector<int> fds;
  const char* text = std::getenv("GUNICORN_FD");
  if (!text) return fds;
  std::string s = text;
  for (std::size_t pos = 0; pos <= s.size();) {
    std::size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    if (comma > pos) fds.push_back(std::stoi(s.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  ::unsetenv("GUNICORN_FD");
  return fds;
}

/// `server.*` for the hooks that run before the arbiter exists.
void publish_early_server(const config::Config& cfg, const daemon::Pidfile& pidfile,
                          const std::vector<daemon::BoundListener>& listeners) {
  py::ServerView view;
  view.pid = ::getpid();
  view.num_workers = static_cast<int>(cfg.get_int("workers"));
  view.proc_name = cfg.proc_name();
  view.pidfile = pidfile.active() ? pidfile.path() : "";
  for (const auto& l : listeners) view.listeners.emplace_back(l.url, l.fd.get());
  py::hooks_update_server(view);
}

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
  {
    // gunicorn's Arbiter.setup loads the worker class: a bad one exits 1 here.
    const auto& known = workers::supported_worker_classes();
    std::string klass = cfg.worker_class();
    if (std::find(known.begin(), known.end(), klass) == known.end()) {
      std::string names;
      for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
      std::cerr << "\nError: class uri '" << klass << "' invalid or not found: gunicornpp supports the worker classes "
                << names << " (gevent, gevent_wsgi and gevent_pywsgi select coro)\n" << std::endl;
      return 1;
    }
  }
  if (cfg.worker_class() == "coro") py::gevent_preimport();  // workers inherit it (boot time)
  if (cfg.get_bool("daemon")) {
    if (std::getenv("NOTIFY_SOCKET"))
      std::cerr << "Warning: you shouldn't specify `daemon = True` when launching by systemd with `Type = notify`"
                << std::endl;
    daemon::daemonize(cfg.get_bool("enable_stdio_inheritance"));
  }
  if (!workers::configure_logging(cfg) || !py::setup_logging(cfg)) return 1;
  daemon::warn_unsupported_settings(cfg);

  // gunicorn's Arbiter(): setup() (nworkers_changed(N, None), --preload), then
  // start(): pidfile, on_starting, bind, when_ready.
  py::hooks_configure(cfg);
  daemon::Pidfile pidfile;
  std::vector<daemon::BoundListener> listeners;
  publish_early_server(cfg, pidfile, listeners);
  py::call_nworkers_changed(static_cast<int>(cfg.get_int("workers")), std::nullopt);
  py::WsgiApp preloaded;
  if (cfg.get_bool("preload_app")) {
    try {
      preloaded = py::WsgiApp::load(*cfg.app_uri);
    } catch (const py::AppLoadError& e) {
      std::cerr << e.what() << "\n";
      return 1;
    }
  }
  core::log::info("Starting gunicornpp " + std::string(config::kVersion));
  const pid_t master_pid = reexec_parent();
  if (!cfg.get_string("pidfile").empty()) {
    pidfile = daemon::Pidfile(cfg.get_string("pidfile") + (master_pid != 0 ? ".2" : ""));
    try {
      pidfile.create(::getpid());
    } catch (const std::exception& e) {
      std::cerr << "\nError: " << e.what() << "\n" << std::endl;
      return 1;
    }
  }
  publish_early_server(cfg, pidfile, listeners);
  py::call_server_hook("on_starting");
  bool socket_activated = false;
  std::vector<std::string> fdnames;
  try {
    // Socket activation wins over the configured binds, as gunicorn; then
    // the sockets of the master that re-exec'd us (USR2).
    std::vector<int> inherited = daemon::systemd_listen_fds(&fdnames);
    socket_activated = !inherited.empty();
    if (!inherited.empty()) {
      listeners = daemon::adopt_listeners(inherited);
    } else if (master_pid != 0 && !(inherited = gunicorn_fds()).empty()) {
      listeners = daemon::adopt_listeners(inherited);
      // Ours to unlink once promoted (the old master created them).
      for (auto& l : listeners)
        if (l.info.unix_socket) l.unix_path = l.info.host;
    } else if (!cfg.get_bool("reuse_port")) {  // gunicorn 24+: with reuse_port each worker binds
      listeners = daemon::bind_listeners(cfg.get_list("bind"), static_cast<int>(cfg.get_int("backlog")),
                                         cfg.get_bool("reuse_port"), static_cast<int>(cfg.get_int("umask")));
    }
  } catch (const std::exception& e) {
    core::log::error(e.what());
    pidfile.unlink();
    return 1;
  }
  std::string urls;
  for (const auto& l : listeners) urls += (urls.empty() ? "" : ",") + l.url;
  core::log::info("Listening at: " + urls + " (" + std::to_string(::getpid()) + ")");
  core::log::info("Using worker: " + cfg.worker_class());
  // Socket activation with names (FileDescriptorName=, --fdname): say which is which.
  for (std::size_t i = 0; i < fdnames.size() && i < listeners.size(); ++i)
    if (!fdnames[i].empty())
      core::log::info("Socket " + fdnames[i] + " (fd " + std::to_string(listeners[i].fd.get()) +
                      "): " + listeners[i].url);
  // gunicorn sends READY=1 here, before any worker booted; ours comes from
  // the arbiter once the workers are ready (arbiter_state_workers.cpp).

  publish_early_server(cfg, pidfile, listeners);
  py::call_server_hook("when_ready");
  daemon::ArbiterSetup setup;
  setup.cfg = std::move(cfg);
  setup.listeners = std::move(listeners);
  setup.reload = [args]() { return config::load_configuration(args, py::load_python_config).config; };
  setup.preloaded_app = preloaded.loaded() ? &preloaded : nullptr;
  setup.pidfile = std::move(pidfile);
  setup.env_orig = g_env_orig;
  setup.argv = g_argv;
  setup.start_cwd = g_start_cwd;
  setup.socket_activated = socket_activated;
  setup.listen_fdnames = std::move(fdnames);
  setup.master_pid = master_pid;
  daemon::Arbiter arbiter(std::move(setup));
  return arbiter.run();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  g_argv.assign(argv, argv + argc);
  if (char* cwd = ::getcwd(nullptr, 0)) {
    g_start_cwd = cwd;
    std::free(cwd);
  }
  gpp::daemon::init_proc_title(argc, argv);  // before anything keeps pointers into environ
  g_env_orig = gpp::daemon::snapshot_environment();
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
