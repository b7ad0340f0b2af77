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

#include <map>
#include <optional>
#include <string>
#include <sys/types.h>

namespace gpp::daemon {

/// The environment as it was at start (gunicorn's cfg.env_orig).
using EnvSnapshot = std::map<std::string, std::string>;
[[nodiscard]] EnvSnapshot snapshot_environment();
/// Before a reload: put back the variables `cfg`'s raw_env changed
/// (unset the ones that did not exist at start), as gunicorn's reload().
void restore_raw_env(const config::Config& cfg, const EnvSnapshot& orig);

/// gunicorn's util.daemonize: fork, setsid, fork, umask 022, stdio to
/// /dev/null (with `stdio_inheritance`: only stdin, and stdout/stderr when
/// they are terminals). Skipped when GUNICORN_FD is set (a re-exec'd master).
void daemonize(bool stdio_inheritance);

/// gunicorn's util.set_owner_process: setgid (or initgroups) then setuid,
/// each only when it changes something. Throws std::system_error.
void set_owner_process(uid_t uid, gid_t gid, bool initgroups);

}  // namespace gpp::daemon
