#include "workers/readiness.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace gpp::workers {
namespace {

std::atomic<int> g_fd{-1};
std::atomic<bool> g_retire_sent{false};

bool send(ReadinessKind kind) noexcept {
  int fd = g_fd.load();
  if (fd < 0) return false;
  ReadinessMessage msg{static_cast<std::int32_t>(::getpid()), kind};
  ssize_t n;
  do {
    n = ::write(fd, &msg, sizeof msg);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof msg);
}

}  // namespace

void set_readiness_fd(int fd) noexcept { g_fd = fd; }

void notify_ready() noexcept { send(ReadinessKind::Ready); }

bool request_retire() noexcept {
  if (g_fd.load() < 0) return false;
  if (g_retire_sent.exchange(true)) return true;
  return send(ReadinessKind::RetireRequest);
}

}  // namespace gpp::workers
