#include "core/log/error_log.hpp"

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
  std::lock_guard lock(s.mutex);
  if (s.fd == STDERR_FILENO) return;
  int fd = open_log(s.path);
  if (fd < 0) return;
  ::close(s.fd);
  s.fd = fd;
}

Level level() noexcept { return static_cast<Level>(sink().level.load()); }
bool enabled(Level lvl) noexcept { return static_cast<int>(lvl) >= sink().level.load(); }
int fd() noexcept { return sink().fd; }

void write(Level lvl, std::string_view message) {
  if (!enabled(lvl)) return;
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
