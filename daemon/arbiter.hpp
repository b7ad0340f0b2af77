#pragma once
// The arbiter's Asio shell: turns signals, waitpid results and a 1 s timer
// into arbiter_state Events, and executes the Actions it returns (fork,
// kill, reload, close listeners, hooks, exit). Decisions live in arbiter_state.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/load.hpp"
#include "daemon/arbiter_state.hpp"
#include "daemon/listeners.hpp"
#include "daemon/pidfile.hpp"
#include "daemon/process_setup.hpp"

namespace gpp::py { class WsgiApp; }

namespace gpp::daemon {

/// Everything main() prepared for the arbiter.
struct ArbiterSetup {
  config::Config cfg;
  std::vector<BoundListener> listeners;        ///< empty with reuse_port (workers bind)
  std::function<config::Config()> reload;      ///< re-read every config source; throws on failure
  py::WsgiApp* preloaded_app = nullptr;        ///< --preload
  Pidfile pidfile;                             ///< created already (or none)
  EnvSnapshot env_orig;                        ///< the environment at start (raw_env undo on HUP)
  std::vector<std::string> argv;               ///< the command line (USR2 execs it again)
  std::string start_cwd;                       ///< the directory at start (argv[0] may be relative)
  bool socket_activated = false;               ///< listeners came from LISTEN_FDS
  std::vector<std::string> listen_fdnames;     ///< LISTEN_FDNAMES, one per listener (USR2 passes them on)
  pid_t master_pid = 0;                        ///< GUNICORN_PID: the old master (re-exec'd, "Master.2")
};

class Arbiter {
 public:
  explicit Arbiter(ArbiterSetup setup);
  ~Arbiter();
  Arbiter(const Arbiter&) = delete;
  Arbiter& operator=(const Arbiter&) = delete;

  /// Run until the server stops; returns the process exit status.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// ArbiterSettings from a Config.
ArbiterSettings settings_from(const config::Config& cfg);

}  // namespace gpp::daemon
