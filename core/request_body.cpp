#include "core/request_body.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace gpp::core {

RequestBody::RequestBody(std::size_t memory_limit, std::string tmp_dir)
    : memory_limit_(memory_limit), tmp_dir_(std::move(tmp_dir)) {
  if (tmp_dir_.empty()) {
    const char* env = std::getenv("TMPDIR");
    tmp_dir_ = env && *env ? env : "/tmp";
  }
}

bool RequestBody::spool() {
  // O_TMPFILE: the file never has a name, so nothing is left behind on a crash.
  int fd = ::open(tmp_dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string templ = tmp_dir_ + "/gunicornpp-body-XXXXXX";
    fd = ::mkostemp(templ.data(), O_CLOEXEC);
    if (fd < 0) return false;
    ::unlink(templ.c_str());
  }
  file_.reset(fd);
  std::size_t off = 0;
  while (off < memory_.size()) {
    ssize_t w = ::write(fd, memory_.data() + off, memory_.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    off += static_cast<std::size_t>(w);
  }
  memory_.clear();
  return true;
}

bool RequestBody::append(std::string_view data) {
  if (!file_ && memory_.size() + data.size() > memory_limit_) {
    if (!spool()) return false;
  }
  if (file_) {
    std::size_t off = 0;
    while (off < data.size()) {
      ssize_t w = ::write(file_.get(), data.data() + off, data.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      off += static_cast<std::size_t>(w);
    }
  } else {
    memory_.append(data);
  }
  size_ += data.size();
  return true;
}

std::size_t RequestBody::read_at(std::size_t offset, char* out, std::size_t n) const {
  if (offset >= size_) return 0;
  if (n > size_ - offset) n = size_ - offset;
  if (!file_) {
    std::memcpy(out, memory_.data() + offset, n);
    return n;
  }
  std::size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(file_.get(), out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<std::size_t>(r);
  }
  return done;
}

void RequestBody::clear() {
  memory_.clear();
  file_.reset();
  size_ = 0;
}

}  // namespace gpp::core
