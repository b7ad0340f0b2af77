// HUP (gunicorn's Arbiter.reload): undo raw_env, re-read every config source,
// re-apply chdir/pythonpath/raw_env, set logging up again, re-bind when the bind list changed,
// republish the config to hooks, rewrite the pidfile, then let the state
// machine start the new generation. A configuration that fails to load (or
// an address that cannot be bound) keeps the old one running.
#include <unistd.h>

#include <algorithm>

#include "core/log/error_log.hpp"
#include "daemon/arbiter_impl.hpp"
#include "daemon/log_setup.hpp"
#include "daemon/proc_title.hpp"
#include "python_shim/hooks.hpp"

namespace gpp::daemon {
namespace {

std::string urls_of(const std::vector<BoundListener>& listeners) {
  std::string out;
  for (const auto& l : listeners) out += (out.empty() ? "" : ",") + l.url;
  return out;
}

/// New listeners for `binds`, keeping the sockets of addresses bound already
/// (unlike gunicorn, which closes and re-binds them all: queued connections
/// on unchanged addresses are not dropped). Throws when an address fails.
std::vector<BoundListener> rebind(std::vector<BoundListener>& current, const config::StringList& old_binds,
                                  const config::Config& cfg) {
  std::vector<BoundListener> next;
  const config::StringList binds = cfg.get_list("bind");
  std::vector<bool> kept(current.size(), false);
  for (const auto& addr : binds) {
    auto pos = std::find(old_binds.begin(), old_binds.end(), addr);
    auto index = static_cast<std::size_t>(pos - old_binds.begin());
    if (pos != old_binds.end() && index < current.size() && !kept[index]) {
      kept[index] = true;
      next.push_back(std::move(current[index]));
      continue;
    }
    std::vector<BoundListener> fresh = bind_listeners({addr}, static_cast<int>(cfg.get_int("backlog")),
                                                      cfg.get_bool("reuse_port"),
                                                      static_cast<int>(cfg.get_int("umask")));
    for (auto& l : fresh) next.push_back(std::move(l));
  }
  std::vector<BoundListener> dropped;
  for (std::size_t i = 0; i < current.size(); ++i) {
    if (!kept[i]) dropped.push_back(std::move(current[i]));
  }
  close_listeners(dropped, true);
  return next;
}

}  // namespace

void Arbiter::Impl::reload() {
  const config::StringList old_binds = cfg().get_list("bind");
  restore_raw_env(cfg(), setup.env_orig);
  config::Config fresh;
  try {
    fresh = setup.reload();
    apply_process_settings(fresh);
  } catch (const std::exception& e) {
    core::log::error(e.what());  // the state machine logs that the old config stays
    apply_process_settings(cfg());
    feed(ReloadDone{false, state.settings});
    return;
  }
  // gunicorn's reload -> setup -> log.setup(cfg): the new loglevel, log
  // files, access_log_format, syslog and logconfig* apply from here on.
  reload_logging(fresh, cfg());
  core::log::reopen();
  const bool reuse_port = fresh.get_bool("reuse_port");
  if (!reuse_port && fresh.get_list("bind") != old_binds) {
    try {
      setup.listeners = rebind(setup.listeners, old_binds, fresh);
    } catch (const std::exception& e) {
      core::log::error(e.what());
      apply_process_settings(cfg());
      reload_logging(cfg(), fresh);
      feed(ReloadDone{false, state.settings});
      return;
    }
    core::log::info("Listening at: " + urls_of(setup.listeners));
  }
  setup.cfg = std::move(fresh);
  py::hooks_configure(cfg());
  metrics_reload();
  std::string pidpath = cfg().get_string("pidfile");
  if (!pidpath.empty() && state.master_pid != 0) pidpath += ".2";  // unpromoted USR2 master
  if (setup.pidfile.path() != pidpath || !setup.pidfile.active()) {
    setup.pidfile.unlink();
    setup.pidfile = Pidfile(pidpath);
  }
  if (!pidpath.empty()) {
    try {
      setup.pidfile.create(::getpid());
    } catch (const std::exception& e) {
      core::log::error(e.what());
    }
  }
  master_title();
  feed(ReloadDone{true, settings_from(cfg())});
}

}  // namespace gpp::daemon
