#pragma once
// The embedded CPython interpreter: one per process tree, initialised in the
// arbiter (needed for gunicorn.conf.py, hooks and --preload) and inherited by
// forked workers. No Python types in this header.
#include <string>
#include <vector>

namespace gpp::py {

/// Initialise Debian's Python (or the venv's, from $VIRTUAL_ENV) with our
/// own signal handling. `argv` becomes sys.argv. Idempotent.
void initialize(const std::vector<std::string>& argv);
[[nodiscard]] bool initialized() noexcept;

/// The interpreter the app runs on: $VIRTUAL_ENV/bin/python if set, else /usr/bin/python3.
[[nodiscard]] std::string python_executable();

/// Prepend directories to sys.path (--pythonpath, and the cwd as gunicorn does).
void prepend_sys_path(const std::vector<std::string>& dirs);
/// os.chdir-equivalent bookkeeping is not needed; but os.environ must follow setenv.
void set_environ(const std::string& key, const std::string& value);
/// unsetenv + del os.environ[key] (a HUP undoing raw_env).
void unset_environ(const std::string& key);

/// Around fork(): PyOS_BeforeFork / PyOS_AfterFork_{Parent,Child}.
void before_fork();
void after_fork_parent();
void after_fork_child();

/// Run atexit handlers and flush sys.stdout/stderr (a worker's clean exit).
void run_exit_handlers();

/// Releases the GIL for its lifetime (blocking socket I/O); no-op when Python
/// is not initialised.
class GilRelease {
 public:
  GilRelease();
  ~GilRelease();
  GilRelease(const GilRelease&) = delete;
  GilRelease& operator=(const GilRelease&) = delete;

 private:
  void* state_ = nullptr;
};

}  // namespace gpp::py
