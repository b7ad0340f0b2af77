#include "core/log/error_log.hpp"

#include "core/log/access_log.hpp"
#include "core/log/statsd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <mutex>

namespace gpp::core::log {
namespace {

struct Sink {
  std::mutex mutex;
  std::string path = "-";
  int fd = STDERR_FILENO;
  std::atomic<int> level{static_cast<int>(Level::Info)};
  bool capture = false;           ///< capture_output: fds 1 and 2 follow the file
  void (*reopen_hook)() = nullptr;
  std::atomic<void (*)(Level, std::string_view)> forwarder{nullptr};
};

Sink& sink() {
  static Sink s;  // never destroyed before exit handlers that may still log
  return s;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::Debug: return "DEBUG";
    case Level::Info: return "INFO";
    case Level::Warning: return "WARNING";
    case Level::Error: return "ERROR";
    case Level::Critical: return "CRITICAL";
  }
  return "INFO";
}

int open_log(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

}  // namespace

bool parse_level(std::string_view name, Level& out) noexcept {
  std::string lower;
  for (char c : name) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  if (lower == "debug") out = Level::Debug;
  else if (lower == "info") out = Level::Info;
  else if (lower == "warning") out = Level::Warning;
  else if (lower == "error") out = Level::Error;
  else if (lower == "critical") out = Level::Critical;
  else return false;
  return true;
}

bool configure(const std::string& path, Level lvl) {
  Sink& s = sink();
  std::lock_guard lock(s.mutex);
  s.level = static_cast<int>(lvl);
  s.capture = false;  // capture_output() sets it again when still wanted
  if (s.fd != STDERR_FILENO) ::close(s.fd);
  s.fd = STDERR_FILENO;
  s.path = path;
  if (path.empty() || path == "-") return true;
  int fd = open_log(path);
  if (fd < 0) return false;
  s.fd = fd;
  return true;
}

void reopen() {
  Sink& s = sink();
  void (*hook)() = nullptr;
  {
    std::lock_guard lock(s.mutex);
    hook = s.reopen_hook;
    if (s.fd != STDERR_FILENO) {
      int fd = open_log(s.path);
      if (fd >= 0) {
        // Same fd number, new file: faulthandler and signal handlers keep
        // writing to the fd they were given (workers/worker_signals.cpp).
        ::dup3(fd, s.fd, O_CLOEXEC);
        ::close(fd);
        fd = s.fd;
        if (s.capture) {
          ::dup2(fd, STDOUT_FILENO);
          ::dup2(fd, STDERR_FILENO);
        }
      }
    }
  }
  access::reopen();
  if (hook) hook();
}

void capture_output() {
  Sink& s = sink();
  std::lock_guard lock(s.mutex);
  if (s.fd == STDERR_FILENO) return;
  s.capture = true;
  ::dup2(s.fd, STDOUT_FILENO);
  ::dup2(s.fd, STDERR_FILENO);
}

void on_reopen(void (*hook)()) {
  Sink& s = sink();
  std::lock_guard lock(s.mutex);
  s.reopen_hook = hook;
}

Level level() noexcept { return static_cast<Level>(sink().level.load()); }
bool enabled(Level lvl) noexcept { return static_cast<int>(lvl) >= sink().level.load(); }
int fd() noexcept { return sink().fd; }

namespace {

void write_line(Level lvl, std::string_view message) {
  char stamp[64];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  std::size_t n = std::strftime(stamp, sizeof stamp, "[%Y-%m-%d %H:%M:%S %z]", &tm);
  std::string line;
  line.reserve(n + message.size() + 32);
  line.append(stamp, n);
  line += " [";
  line += std::to_string(::getpid());
  line += "] [";
  line += level_name(lvl);
  line += "] ";
  line += message;
  line += '\n';
  write_raw(line);
}

}  // namespace

void write(Level lvl, std::string_view message) {
  if (lvl >= Level::Warning && statsd::enabled()) {
    statsd::increment(lvl == Level::Warning ? "gunicorn.log.warning"
                      : lvl == Level::Error ? "gunicorn.log.error"
                                            : "gunicorn.log.critical");
  }
  if (!enabled(lvl)) return;
  if (auto fn = sink().forwarder.load()) fn(lvl, message);
  else write_line(lvl, message);
}

void set_forwarder(void (*fn)(Level, std::string_view)) { sink().forwarder = fn; }

void exception(std::string_view message) {
  statsd::increment("gunicorn.log.exception");
  if (!enabled(Level::Error)) return;
  if (auto fn = sink().forwarder.load()) fn(Level::Error, message);
  else write_line(Level::Error, message);
}

void write_raw(std::string_view line) {
  Sink& s = sink();
  std::lock_guard lock(s.mutex);
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t w = ::write(s.fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += w;
    left -= static_cast<std::size_t>(w);
  }
}

}  // namespace gpp::core::log
