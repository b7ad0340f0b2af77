#pragma once
// The worker heartbeat (gunicorn's WorkerTmp, 22.0+ semantics): an unlinked
// temp file in worker_tmp_dir shared by arbiter and worker; the worker stamps
// its mtime with the monotonic clock, the arbiter compares it with its own.
#include <string>

#include "core/unique_fd.hpp"

namespace gpp::workers {

class Heartbeat {
 public:
  /// Create the unlinked file in `dir` ("" = $TMPDIR or /tmp). Throws std::system_error.
  static Heartbeat create(const std::string& dir);
  /// Stamp "alive now" (worker side).
  void notify() const noexcept;
  /// Seconds since the last notify (arbiter side); 0 on error.
  [[nodiscard]] double idle_seconds() const noexcept;
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  /// Give the file to the user the worker will run as (gunicorn chowns it too).
  void chown(unsigned uid, unsigned gid) const noexcept;
  void close() noexcept { fd_.reset(); }

 private:
  core::UniqueFd fd_;
};

}  // namespace gpp::workers
