#include "workers/heartbeat.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <system_error>

namespace gpp::workers {
namespace {

timespec monotonic_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts;
}

}  // namespace

Heartbeat Heartbeat::create(const std::string& dir) {
  std::string base = dir;
  if (base.empty()) {
    const char* env = std::getenv("TMPDIR");
    base = env && *env ? env : "/tmp";
  }
  std::string templ = base + "/wgunicorn-XXXXXX";
  int fd = ::mkostemp(templ.data(), O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "heartbeat file in " + base);
  ::unlink(templ.c_str());
  Heartbeat hb;
  hb.fd_.reset(fd);
  hb.notify();
  return hb;
}

void Heartbeat::notify() const noexcept {
  if (!fd_) return;
  timespec now = monotonic_now();
  timespec times[2] = {now, now};
  ::futimens(fd_.get(), times);
}

void Heartbeat::chown(unsigned uid, unsigned gid) const noexcept {
  if (fd_) [[maybe_unused]] int r = ::fchown(fd_.get(), uid, gid);
}

double Heartbeat::idle_seconds() const noexcept {
  struct stat st{};
  if (!fd_ || ::fstat(fd_.get(), &st) != 0) return 0;
  timespec now = monotonic_now();
  double last = static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
  double cur = static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
  return cur > last ? cur - last : 0;
}

}  // namespace gpp::workers
