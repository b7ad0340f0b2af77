#include "daemon/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/unique_fd.hpp"

namespace gpp::daemon {

bool sd_notify(std::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return false;
  std::string p = path;
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (p.size() >= sizeof sun.sun_path) return false;
  std::memcpy(sun.sun_path, p.data(), p.size());
  if (p[0] == '@') sun.sun_path[0] = '\0';  // abstract namespace
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + p.size());
  core::UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  return ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sun),
                  len) == static_cast<ssize_t>(state.size());
}

}  // namespace gpp::daemon
