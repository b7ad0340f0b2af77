#pragma once
// Pure parser for the PROXY protocol header (HAProxy spec v1 text, v2 binary)
// that may precede the first request of a connection. Decisions follow
// gunicorn 26.1 (http/message.py _handle_proxy_protocol and friends).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gpp::core::http {

/// gunicorn's proxy_protocol setting.
enum class ProxyMode { Off, V1, V2, Auto };

/// "off" | "v1" | "v2" | "auto" (also "true"/"false" as older configs spell it).
[[nodiscard]] std::optional<ProxyMode> proxy_mode_from_string(std::string_view s) noexcept;

enum class ProxyStatus { NeedMore, Complete, Error };

/// What the header said. `protocol` is gunicorn's PROXY_PROTOCOL environ value.
enum class ProxyFamily {
  Tcp4,    ///< v1 "TCP4" or v2 PROXY/INET/STREAM
  Tcp6,    ///< v1 "TCP6" or v2 PROXY/INET6/STREAM
  Local,   ///< v2 LOCAL command: no addresses (health checks from the proxy)
  Unspec,  ///< v2 PROXY with AF_UNSPEC: no addresses
};

struct ProxyInfo {
  ProxyFamily family = ProxyFamily::Local;
  int version = 0;            ///< 1 or 2
  std::string src_addr;       ///< client address (REMOTE_ADDR); empty for Local/Unspec
  std::string dst_addr;       ///< proxy-side address (PROXY_ADDR); empty for Local/Unspec
  std::uint16_t src_port = 0; ///< REMOTE_PORT
  std::uint16_t dst_port = 0; ///< PROXY_PORT
  /// "TCP4", "TCP6", "LOCAL" or "UNSPEC" (environ PROXY_PROTOCOL).
  [[nodiscard]] std::string_view protocol() const noexcept;
  /// false for Local/Unspec: the socket's own addresses stay in force.
  [[nodiscard]] bool has_addresses() const noexcept {
    return family == ProxyFamily::Tcp4 || family == ProxyFamily::Tcp6;
  }
};

struct ProxyResult {
  ProxyStatus status = ProxyStatus::NeedMore;
  std::size_t consumed = 0;   ///< header bytes (0 when no PROXY header is present)
  bool present = false;       ///< Complete: a header was found (else plain HTTP follows)
  ProxyInfo info;             ///< valid when present
  int http_status = 0;        ///< Error: 400, or 403 for ForbiddenProxyRequest
  std::string error_class;    ///< "InvalidProxyLine", "InvalidProxyHeader", "ForbiddenProxyRequest"
  std::string error_detail;   ///< str(exc) as gunicorn formats it
};

/// Look for a PROXY header at the start of `buf` (first request of a
/// connection only). `peer_allowed`: the peer is in proxy_allow_ips (or is a
/// unix socket); a header from another peer -> ForbiddenProxyRequest (403).
/// Returns Complete with present=false as soon as the bytes cannot start an
/// enabled header (gunicorn waits for 12 bytes first; same outcome).
/// `peer_host` only feeds the ForbiddenProxyRequest detail text.
[[nodiscard]] ProxyResult parse_proxy_header(std::string_view buf, ProxyMode mode,
                                             bool peer_allowed,
                                             std::string_view peer_host = {});

}  // namespace gpp::core::http
