#pragma once
// Who is on the other end of a connection, and what we trust them to say.
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "core/http/request_head.hpp"

namespace gpp::workers {

struct Peer {
  std::string addr;  ///< "" for a unix-socket peer (gunicorn's REMOTE_ADDR)
  int port = -1;     ///< -1 for a unix-socket peer (no REMOTE_PORT)
  bool unix_socket = false;
  int family = 0;    ///< AF_INET, AF_INET6, AF_UNIX; 0 when getpeername failed
};

[[nodiscard]] Peer peer_of(int fd);
/// In forwarded_allow_ips, or a unix-socket peer (always trusted, as gunicorn).
[[nodiscard]] bool peer_trusted(const Peer& peer, const config::Config& cfg);
/// "https" when a trusted peer sent one of secure_scheme_headers with its value.
[[nodiscard]] std::string_view url_scheme_for(const core::http::RequestHead& head, bool trusted,
                                              const config::Config& cfg);

}  // namespace gpp::workers
