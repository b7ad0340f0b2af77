#pragma once
// The arbiter's Asio shell: turns signals, waitpid results and a 1 s timer
// into arbiter_state Events, and executes the Actions it returns (fork,
// kill, reload, close listeners, exit). Decisions live in arbiter_state.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/load.hpp"
#include "daemon/arbiter_state.hpp"
#include "daemon/listeners.hpp"
#include "workers/heartbeat.hpp"

namespace gpp::py { class WsgiApp; }

namespace gpp::daemon {

class Arbiter {
 public:
  /// `reload` re-reads every config source (HUP); it throws config::ConfigError on failure.
  Arbiter(config::Config cfg, std::vector<BoundListener> listeners,
          std::function<config::Config()> reload, py::WsgiApp* preloaded_app);
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
