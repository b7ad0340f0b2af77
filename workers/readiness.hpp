#pragma once
// The readiness channel from workers to the arbiter (surge-first recycling):
// one pipe the arbiter creates; every worker inherits its write end and sends
// fixed-size messages (8 bytes < PIPE_BUF, so each write is atomic even with
// many writers). READY once the app is imported and the worker is about to
// accept; RETIRE_REQUEST when it reached max_requests (it keeps serving until
// the arbiter, having a ready replacement, sends SIGTERM).
#include <sys/types.h>

#include <cstdint>

namespace gpp::workers {

enum class ReadinessKind : std::int32_t { Ready = 1, RetireRequest = 2 };

struct ReadinessMessage {
  std::int32_t pid;
  ReadinessKind kind;
};
static_assert(sizeof(ReadinessMessage) == 8);

/// The inherited write end (-1: no arbiter listening, messages are dropped).
void set_readiness_fd(int fd) noexcept;
/// Send READY for this process.
void notify_ready() noexcept;
/// Send RETIRE_REQUEST once; returns false when there is no channel (then the
/// worker must stop by itself, as before).
bool request_retire() noexcept;

}  // namespace gpp::workers
