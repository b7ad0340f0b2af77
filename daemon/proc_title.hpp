#pragma once
// Process titles as setproctitle does them: the argv area (and the environ
// strings right after it, moved elsewhere first) is overwritten, so `ps`,
// `top` and /proc/PID/cmdline show "gunicornpp: master [name]". The comm name
// (prctl PR_SET_NAME, 15 bytes) follows. `pgrep -f gunicorn` still matches.
#include <string>

namespace gpp::daemon {

/// Remember the argv area. Call first thing in main(), before anything keeps
/// pointers into argv or environ strings (environ is copied to the heap).
void init_proc_title(int argc, char** argv);
/// "gunicornpp: " + title. No-op before init_proc_title.
void set_proc_title(const std::string& title);

}  // namespace gpp::daemon
