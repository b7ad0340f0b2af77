#include "daemon/listeners.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "core/log/error_log.hpp"

namespace gpp::daemon {
namespace {

int parse_port(const std::string& s, const std::string& whole) {
  if (s.empty()) throw std::invalid_argument("Invalid address: " + whole);
  for (char c : s)
    if (c < '0' || c > '9') throw std::invalid_argument("'" + s + "' is not a valid port number.");
  long v = std::stol(s);
  if (v > 65535) throw std::invalid_argument("'" + s + "' is not a valid port number.");
  return static_cast<int>(v);
}

/// Python's str() of the address tuple, as gunicorn logs it.
std::string addr_repr(const BindAddress& a) {
  if (a.kind == BindAddress::Kind::Unix) return a.host;
  return "('" + a.host + "', " + std::to_string(a.port) + ")";
}

core::UniqueFd make_tcp(const BindAddress& a, int backlog, bool reuse_port, int& err) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(a.port);
  if (int rc = ::getaddrinfo(a.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    err = EADDRNOTAVAIL;
    return {};
  }
  core::UniqueFd fd(::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (res->ai_family == AF_INET6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  int rc = ::bind(fd.get(), res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  if (rc != 0 || ::listen(fd.get(), backlog) != 0) {
    err = errno;
    return {};
  }
  return fd;
}

core::UniqueFd make_unix(const BindAddress& a, int backlog, int umask_bits, int& err) {
  struct stat st{};
  if (::stat(a.host.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw std::runtime_error("'" + a.host + "' is not a socket");
    ::unlink(a.host.c_str());
  }
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (a.host.size() >= sizeof sun.sun_path) throw std::runtime_error("unix socket path too long: " + a.host);
  std::memcpy(sun.sun_path, a.host.c_str(), a.host.size() + 1);
  core::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  mode_t old = ::umask(static_cast<mode_t>(umask_bits));
  int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun);
  ::umask(old);
  if (rc != 0 || ::listen(fd.get(), backlog) != 0) {
    err = errno;
    return {};
  }
  return fd;
}

/// Fill in what workers and logs need from the socket itself (port 0 gets
/// its real port here). `created_path`: a unix socket file we created.
void describe(BoundListener& l, const std::string& created_path) {
  // Report what the socket really is (port 0 gets its real port here).
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
  char buf[INET6_ADDRSTRLEN] = {};
  l.info.fd = l.fd.get();
  if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
    int port;
    if (ss.ss_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
      ::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
      port = ntohs(sin->sin_port);
      l.url = std::string("http://") + buf + ":" + std::to_string(port);
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
      ::inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
      port = ntohs(sin6->sin6_port);
      l.url = std::string("http://[") + buf + "]:" + std::to_string(port);
    }
    l.info.host = buf;
    l.info.port = std::to_string(port);
  } else {
    auto* sun = reinterpret_cast<sockaddr_un*>(&ss);
    l.info.unix_socket = true;
    l.info.host = sun->sun_path;
    l.url = std::string("unix:") + sun->sun_path;
    l.unix_path = created_path;
  }
  // Workers accept without blocking: several of them race for each connection.
  ::fcntl(l.fd.get(), F_SETFL, ::fcntl(l.fd.get(), F_GETFL) | O_NONBLOCK);
}

}  // namespace

BindAddress parse_bind(const std::string& text) {
  BindAddress a;
  std::string s = text;
  if (s.rfind("unix://", 0) == 0 || s.rfind("unix:", 0) == 0) {
    a.kind = BindAddress::Kind::Unix;
    a.host = s.substr(s.rfind("unix://", 0) == 0 ? 7 : 5);
    if (a.host.empty()) throw std::invalid_argument("Invalid address: " + text);
    return a;
  }
  if (s.rfind("fd://", 0) == 0) {
    a.kind = BindAddress::Kind::Fd;
    a.port = parse_port(s.substr(5), text);
    return a;
  }
  if (s.rfind("tcp://", 0) == 0) s = s.substr(6);
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string::npos) throw std::invalid_argument("Invalid address: " + text);
    a.host = s.substr(1, close - 1);
    std::string rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw std::invalid_argument("Invalid address: " + text);
      a.port = parse_port(rest.substr(1), text);
    }
    return a;
  }
  auto colon = s.rfind(':');
  if (colon == std::string::npos) {
    a.host = s;
  } else {
    a.host = s.substr(0, colon);
    a.port = parse_port(s.substr(colon + 1), text);
  }
  if (a.host.empty()) a.host = "0.0.0.0";
  return a;
}

std::vector<BoundListener> bind_listeners(const std::vector<std::string>& binds, int backlog,
                                          bool reuse_port, int umask_bits) {
  std::vector<BoundListener> out;
  for (const auto& text : binds) {
    BindAddress a = parse_bind(text);
    BoundListener l;
    if (a.kind == BindAddress::Kind::Fd) {
      l.fd.reset(a.port);
    } else {
      int err = 0;
      for (int attempt = 0; attempt < 5 && !l.fd; ++attempt) {
        l.fd = a.kind == BindAddress::Kind::Unix ? make_unix(a, backlog, umask_bits, err)
                                                 : make_tcp(a, backlog, reuse_port, err);
        if (l.fd) break;
        if (err == EADDRINUSE) core::log::error("Connection in use: " + addr_repr(a));
        else if (err == EADDRNOTAVAIL) core::log::error("Invalid address: " + addr_repr(a));
        else core::log::error("connection to " + addr_repr(a) + " failed: " + std::strerror(err));
        if (attempt < 4) {
          core::log::debug("Retrying in 1 second.");
          std::this_thread::sleep_for(std::chrono::seconds(1));
        }
      }
      if (!l.fd) throw std::runtime_error("Can't connect to " + addr_repr(a));
    }
    describe(l, a.kind == BindAddress::Kind::Unix ? a.host : std::string());
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<int> systemd_listen_fds(std::vector<std::string>* names) {
  std::vector<int> fds;
  const char* pid = std::getenv("LISTEN_PID");
  const char* n = std::getenv("LISTEN_FDS");
  if (!pid || !n || std::atol(pid) != static_cast<long>(::getpid())) return fds;
  for (int i = 0; i < std::atoi(n); ++i) fds.push_back(3 + i);  // SD_LISTEN_FDS_START
  if (names) {
    // FileDescriptorName= / --fdname: "web:admin", one per fd in order.
    const char* joined = std::getenv("LISTEN_FDNAMES");
    std::string rest = joined ? joined : "";
    names->clear();
    for (std::size_t i = 0; i < fds.size(); ++i) {
      std::size_t colon = rest.find(':');
      names->push_back(rest.substr(0, colon));
      rest = colon == std::string::npos ? std::string() : rest.substr(colon + 1);
    }
  }
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return fds;
}

std::vector<BoundListener> adopt_listeners(const std::vector<int>& fds) {
  std::vector<BoundListener> out;
  for (int fd : fds) {
    BoundListener l;
    l.fd.reset(fd);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    describe(l, "");
    out.push_back(std::move(l));
  }
  return out;
}

void close_listeners(std::vector<BoundListener>& listeners, bool unlink) {
  for (auto& l : listeners) {
    l.fd.reset();
    if (unlink && !l.unix_path.empty()) ::unlink(l.unix_path.c_str());
  }
  listeners.clear();
}

}  // namespace gpp::daemon
