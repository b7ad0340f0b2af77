#pragma once
// gunicorn's pidfile.py: refuse to start when the file names a live process,
// write "<pid>\n" atomically (temp file + rename, mode 0644), and remove the
// file on exit only if it still holds our pid.
#include <sys/types.h>

#include <string>

namespace gpp::daemon {

class Pidfile {
 public:
  Pidfile() = default;
  explicit Pidfile(std::string path) : path_(std::move(path)) {}
  Pidfile(const Pidfile&) = delete;
  Pidfile& operator=(const Pidfile&) = delete;
  Pidfile(Pidfile&&) = default;
  Pidfile& operator=(Pidfile&&) = default;

  /// Write `pid`. Throws std::runtime_error with gunicorn's messages:
  /// "Already running on PID N (or pid file 'F' is stale)" when the recorded
  /// process is alive (and not us), "DIR doesn't exist. Can't create pidfile.".
  void create(pid_t pid);
  /// Move to `path` (gunicorn's Pidfile.rename: unlink, then create there).
  /// Throws as create(); no-op when inactive.
  void rename(const std::string& path);
  /// Remove the file if it still holds our pid (errors ignored).
  void unlink() noexcept;
  /// The live pid recorded in the file, or 0 (missing, unparsable, dead).
  [[nodiscard]] pid_t validate() const;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] bool active() const noexcept { return !path_.empty() && pid_ != 0; }

 private:
  std::string path_;
  pid_t pid_ = 0;
};

}  // namespace gpp::daemon
