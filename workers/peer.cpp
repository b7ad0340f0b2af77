#include "workers/peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/ip_allowlist.hpp"

namespace gpp::workers {

Peer peer_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  Peer p;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return p;
  p.family = ss.ss_family;
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
    p.addr = buf;
    p.port = ntohs(sin->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
    p.addr = buf;
    p.port = ntohs(sin6->sin6_port);
  } else {
    p.unix_socket = true;
  }
  return p;
}

bool peer_trusted(const Peer& peer, const config::Config& cfg) {
  if (peer.unix_socket) return true;
  // Built once per worker process: the config does not change under a worker.
  static const core::IpAllowlist allow(cfg.get_list("forwarded_allow_ips"));
  return allow.allows(peer.addr);
}

std::string_view url_scheme_for(const core::http::RequestHead& head, bool trusted,
                                const config::Config& cfg) {
  (void)cfg;  // the parser already applied secure_scheme_headers for trusted peers
  if (trusted && !head.forwarded_scheme.empty()) return head.forwarded_scheme;
  return "http";
}

}  // namespace gpp::workers
