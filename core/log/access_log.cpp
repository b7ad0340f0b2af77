#include "core/log/access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

namespace gpp::core::log::access {
namespace {

struct Sink {
  std::mutex mutex;  ///< guards path/fd changes against writers on other threads
  std::string path;
  std::atomic<int> fd{-1};
  std::atomic<void (*)(std::string_view)> forwarder{nullptr};
};

Sink& sink() {
  static Sink s;
  return s;
}

int open_log(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

}  // namespace

bool configure(const std::string& path) {
  Sink& s = sink();
  std::lock_guard lock(s.mutex);
  int old = s.fd.exchange(-1);
  if (old > STDERR_FILENO) ::close(old);
  s.path = path;
  if (path == "-") {
    s.fd = STDOUT_FILENO;
    return true;
  }
  int fd = open_log(path);
  if (fd < 0) return false;
  s.fd = fd;
  return true;
}

void disable() {
  Sink& s = sink();
  std::lock_guard lock(s.mutex);
  int old = s.fd.exchange(-1);
  if (old > STDERR_FILENO) ::close(old);
  s.path.clear();
}

bool enabled() noexcept {
  return sink().fd.load(std::memory_order_relaxed) >= 0 || sink().forwarder.load(std::memory_order_relaxed);
}

void set_forwarder(void (*fn)(std::string_view)) { sink().forwarder = fn; }

void reopen() {
  Sink& s = sink();
  std::lock_guard lock(s.mutex);
  if (s.fd <= STDERR_FILENO) return;
  int fd = open_log(s.path);
  if (fd < 0) return;
  int old = s.fd.exchange(fd);
  ::close(old);
}

void write_line(std::string& line) {
  if (auto fn = sink().forwarder.load(std::memory_order_relaxed)) {
    fn(line);
    return;
  }
  line.push_back('\n');
  write_direct(line);
}

void write_direct(std::string_view line) {
  Sink& s = sink();
  std::lock_guard lock(s.mutex);
  int fd = s.fd.load(std::memory_order_relaxed);
  if (fd < 0) return;
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t w = ::write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += w;
    left -= static_cast<std::size_t>(w);
  }
}

}  // namespace gpp::core::log::access
