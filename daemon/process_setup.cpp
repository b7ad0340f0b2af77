#include "daemon/process_setup.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "config/setting_spec.hpp"
#include "core/log/error_log.hpp"
#include "python_shim/interpreter.hpp"

extern char** environ;

namespace gpp::daemon {
namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

void apply_process_settings(const config::Config& cfg) {
  // gunicorn imports from the directory it was started in as well as --chdir.
  char start_cwd[4096];
  bool have_start = ::getcwd(start_cwd, sizeof start_cwd) != nullptr;
  std::string dir = cfg.get_string("chdir");
  if (!dir.empty()) {
    if (::chdir(dir.c_str()) != 0)
      throw std::runtime_error("can't chdir to '" + dir + "': " + std::strerror(errno));
  }
  char cwd[4096];
  std::vector<std::string> paths;
  const config::Value& pp = cfg.get("pythonpath");
  if (std::holds_alternative<std::string>(pp)) paths = split_commas(std::get<std::string>(pp));
  else if (std::holds_alternative<config::StringList>(pp)) paths = std::get<config::StringList>(pp);
  if (::getcwd(cwd, sizeof cwd)) paths.emplace_back(cwd);
  if (have_start) paths.emplace_back(start_cwd);
  py::prepend_sys_path(paths);
  for (const auto& kv : cfg.get_list("raw_env")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    py::set_environ(kv.substr(0, eq), kv.substr(eq + 1));
  }
}

void warn_unsupported_settings(const config::Config& cfg) {
  for (const auto& name : config::unsupported_settings_in_use(cfg))
    core::log::warning("Setting '" + name + "' is not supported yet and is ignored (see docs/settings.md)");
}

EnvSnapshot snapshot_environment() {
  EnvSnapshot out;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) out.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

void restore_raw_env(const config::Config& cfg, const EnvSnapshot& orig) {
  for (const auto& kv : cfg.get_list("raw_env")) {
    std::string key = kv.substr(0, kv.find('='));
    auto it = orig.find(key);
    if (it != orig.end()) {
      py::set_environ(key, it->second);
    } else {
      py::unset_environ(key);
    }
  }
}

void daemonize(bool stdio_inheritance) {
  if (std::getenv("GUNICORN_FD")) return;
  auto fork_and_leave = [] {
    py::before_fork();
    pid_t pid = ::fork();
    if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid > 0) ::_exit(0);
    py::after_fork_child();
  };
  fork_and_leave();
  ::setsid();
  fork_and_leave();
  ::umask(022);
  int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd < 0) return;
  ::dup2(null_fd, 0);
  for (int fd : {1, 2}) {
    if (!stdio_inheritance || ::isatty(fd)) ::dup2(null_fd, fd);
  }
  if (null_fd > 2) ::close(null_fd);
}

void set_owner_process(uid_t uid, gid_t gid, bool initgroups) {
  if (gid != 0) {
    bool done = false;
    if (initgroups && uid != 0) {
      if (const passwd* pw = ::getpwuid(uid)) {
        if (::initgroups(pw->pw_name, gid) != 0)
          throw std::system_error(errno, std::generic_category(), "initgroups");
        if (::setgid(gid) != 0) throw std::system_error(errno, std::generic_category(), "setgid");
        done = true;
      }
    }
    if (!done && gid != ::getgid()) {
      if (::setgid(gid) != 0) throw std::system_error(errno, std::generic_category(), "setgid");
    }
  }
  if (uid != 0 && uid != ::getuid()) {
    if (::setuid(uid) != 0) throw std::system_error(errno, std::generic_category(), "setuid");
  }
}

}  // namespace gpp::daemon
