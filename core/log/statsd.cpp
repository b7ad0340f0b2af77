#include "core/log/statsd.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

namespace gpp::core::log::statsd {
namespace {

struct Client {
  std::atomic<int> fd{-1};
  std::string prefix;
  std::string tags;  ///< "|#tags" or ""
};

Client& client() {
  static Client c;
  return c;
}

int connect_unix(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return -1;
  std::memcpy(sa.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int connect_udp(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) return -1;
  int fd = -1;
  for (addrinfo* ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd >= 0 && ::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  return fd;
}

int open_socket(std::string_view address) {
  std::string a(address);
  if (a.rfind("unix://", 0) == 0) return connect_unix(a.substr(7));
  if (a.rfind("unix:", 0) == 0) {
    std::string rest = a.substr(5);
    // gunicorn keeps "unix:8125" meaning host "unix", port 8125.
    if (rest.empty() || rest.find_first_not_of("0123456789") != std::string::npos) return connect_unix(rest);
    return connect_udp("unix", rest);
  }
  if (a.rfind("tcp://", 0) == 0) a = a.substr(6);
  std::string host, port = "8125";
  if (!a.empty() && a[0] == '[') {
    std::size_t close = a.find(']');
    if (close == std::string::npos) return -1;
    host = a.substr(1, close - 1);
    if (close + 1 < a.size() && a[close + 1] == ':') port = a.substr(close + 2);
  } else if (std::size_t colon = a.find(':'); colon != std::string::npos) {
    host = a.substr(0, colon);
    port = a.substr(colon + 1);
  } else {
    host = a;
  }
  if (host.empty()) host = "localhost";
  return connect_udp(host, port);
}

void send(std::string msg) {
  Client& c = client();
  int fd = c.fd.load(std::memory_order_relaxed);
  if (fd < 0) return;
  msg += c.tags;
  (void)::send(fd, msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL);  // best effort, as gunicorn
}

std::string metric(std::string_view name, std::string_view value, std::string_view type) {
  const Client& c = client();
  std::string m;
  m.reserve(c.prefix.size() + name.size() + value.size() + type.size() + 8);
  m += c.prefix;
  m += name;
  m += ':';
  m += value;
  m += '|';
  m += type;
  return m;
}

}  // namespace

std::string normalise_prefix(std::string_view prefix) {
  std::string_view core = prefix;
  while (!core.empty() && core.back() == '.') core.remove_suffix(1);
  if (core.size() < 2) return std::string(prefix);
  return std::string(core) + ".";
}

std::string milliseconds_text(long long us) {
  std::string text = std::to_string(us / 1000);
  long long frac = us % 1000;
  if (frac == 0) return text + ".0";
  char buf[8];
  std::snprintf(buf, sizeof buf, ".%03lld", frac);
  std::string f(buf);
  while (f.back() == '0') f.pop_back();
  return text + f;
}

bool configure(std::string_view address, std::string_view prefix, std::string_view tags) {
  disable();
  Client& c = client();
  c.prefix = normalise_prefix(prefix);
  c.tags = tags.empty() ? std::string() : "|#" + std::string(tags);
  int fd = open_socket(address);
  if (fd < 0) return false;
  c.fd = fd;
  return true;
}

void disable() {
  int old = client().fd.exchange(-1);
  if (old >= 0) ::close(old);
}

bool enabled() noexcept { return client().fd.load(std::memory_order_relaxed) >= 0; }

void increment(std::string_view name, long long value) {
  if (enabled()) send(metric(name, std::to_string(value), "c|@1.0"));
}
void gauge(std::string_view name, long long value) {
  if (enabled()) send(metric(name, std::to_string(value), "g"));
}
void timer_us(std::string_view name, long long us) {
  if (enabled()) send(metric(name, milliseconds_text(us), "ms"));
}
void histogram(std::string_view name, long long value) {
  if (enabled()) send(metric(name, std::to_string(value), "h"));
}

}  // namespace gpp::core::log::statsd
