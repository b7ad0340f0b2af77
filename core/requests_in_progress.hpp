#pragma once
// The request lines a worker is serving, kept preformatted in fixed slots so
// an async-signal-safe handler can write them out (the SIGABRT the arbiter
// sends on a heartbeat timeout), even while the app is stuck in C code that
// holds the GIL. One slot per request in flight (a pool thread, a greenlet).
#include <string_view>

namespace gpp::core {

/// Marks one request as in progress for its lifetime (no-op when all slots are taken).
class RequestInProgress {
 public:
  RequestInProgress(std::string_view method, std::string_view target, int version_major, int version_minor,
                    std::string_view client_addr, int client_port) noexcept;
  ~RequestInProgress();
  RequestInProgress(const RequestInProgress&) = delete;
  RequestInProgress& operator=(const RequestInProgress&) = delete;

 private:
  int slot_ = -1;
};

/// Async-signal-safe: write "Worker (pid:N) timed out while serving: GET /x HTTP/1.1 (client ...)"
/// for every request in progress to `fd`. Returns how many lines were written.
int write_requests_in_progress(int fd) noexcept;

}  // namespace gpp::core
