#include "workers/reloader.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/log/error_log.hpp"
#include "python_shim/hooks.hpp"

namespace gpp::workers {
namespace {

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

/// The file changed: stop this worker the way gunicorn's reloader callback does.
void changed(const std::string& file) {
  core::log::info("Worker reloading: " + file + " modified");
  py::call_worker_hook("worker_int");
  ::kill(::getpid(), SIGTERM);  // alive = false and wake the loop: finish, exit, be replaced
}

timespec mtime_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return st.st_mtim;
}

bool same(const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

void poll_loop(std::vector<std::string> extra) {
  std::map<std::string, timespec> seen;
  for (;;) {
    for (const auto& file : py::reload_watch_files(extra)) {
      timespec now = mtime_of(file);
      auto it = seen.find(file);
      if (it == seen.end()) {
        seen.emplace(file, now);
      } else if (!same(it->second, now)) {
        changed(file);
        return;
      }
    }
    ::sleep(1);
  }
}

void inotify_loop(int fd, std::vector<std::string> extra) {
  std::map<int, std::string> dirs;      // watch descriptor -> directory
  std::set<std::string> files;          // watched files (full paths)
  constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MODIFY | IN_MOVE_SELF |
                             IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB;
  auto refresh = [&] {
    for (const auto& file : py::reload_watch_files(extra)) {
      if (file.empty() || file[0] != '/' || !files.insert(file).second) continue;
      std::string dir = dir_of(file);
      int wd = ::inotify_add_watch(fd, dir.c_str(), kMask);
      if (wd >= 0) dirs.emplace(wd, dir);  // a directory watched again keeps its wd
    }
  };
  refresh();
  alignas(inotify_event) char buf[8192];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, 1000);
    if (r == 0) {
      refresh();  // modules imported since (gunicorn re-reads sys.modules too)
      continue;
    }
    if (r < 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) continue;
    for (char* ptr = buf; ptr < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(ptr);
      ptr += sizeof(inotify_event) + ev->len;
      auto dir = dirs.find(ev->wd);
      if (dir == dirs.end() || ev->len == 0) continue;
      std::string path = (dir->second == "/" ? "" : dir->second) + "/" + ev->name;
      if (files.count(path)) {
        changed(path);
        return;
      }
    }
  }
}

}  // namespace

void start_reloader(const config::Config& cfg, WorkerFlags& /*flags*/) {
  if (!cfg.get_bool("reload")) return;
  core::log::warning("Reloader is on. Use in development only!");
  std::vector<std::string> extra = cfg.get_list("reload_extra_files");
  std::string engine = cfg.get_string("reload_engine");
  int fd = engine == "poll" ? -1 : ::inotify_init1(IN_CLOEXEC);
  // The thread must not take the worker's signals.
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &old);
  if (fd >= 0) std::thread(inotify_loop, fd, extra).detach();
  else std::thread(poll_loop, extra).detach();
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace gpp::workers
