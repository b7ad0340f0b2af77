#include "daemon/pidfile.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gpp::daemon {
namespace {

/// The file's content as gunicorn's int(f.read()) would parse it; nullopt-ish 0/-1.
bool read_pid(const std::string& path, long& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  // int() accepts surrounding whitespace only.
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return false;
  auto last = text.find_last_not_of(" \t\r\n");
  std::string digits = text.substr(first, last - first + 1);
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(digits.c_str(), &end, 10);
  if (errno != 0 || end == digits.c_str() || *end != '\0') return false;
  out = v;
  return true;
}

}  // namespace

pid_t Pidfile::validate() const {
  if (path_.empty()) return 0;
  long pid = 0;
  if (!read_pid(path_, pid) || pid <= 0) return 0;
  if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) return static_cast<pid_t>(pid);
  return 0;
}

void Pidfile::create(pid_t pid) {
  pid_t old = validate();
  if (old != 0) {
    if (old == ::getpid()) return;
    throw std::runtime_error("Already running on PID " + std::to_string(old) + " (or pid file '" + path_ +
                             "' is stale)");
  }
  std::string dir = ".";
  auto slash = path_.rfind('/');
  if (slash != std::string::npos) dir = slash == 0 ? "/" : path_.substr(0, slash);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw std::runtime_error(dir + " doesn't exist. Can't create pidfile.");
  std::string tmp = dir + "/tmpXXXXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw std::runtime_error("can't create pidfile in " + dir + ": " + std::strerror(errno));
  std::string text = std::to_string(pid) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("can't write pidfile " + path_ + ": " + std::strerror(err));
  }
  ::chmod(path_.c_str(), 0644);
  pid_ = pid;
}

void Pidfile::rename(const std::string& path) {
  if (!active()) return;
  pid_t pid = pid_;
  unlink();
  path_ = path;
  create(pid);
}

void Pidfile::unlink() noexcept {
  if (path_.empty() || pid_ == 0) return;
  long recorded = 0;
  if (read_pid(path_, recorded) && recorded == pid_) ::unlink(path_.c_str());
  pid_ = 0;
}

}  // namespace gpp::daemon
