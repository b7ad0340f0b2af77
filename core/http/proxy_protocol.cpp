// PROXY protocol v1/v2 parsing (see proxy_protocol.hpp).
#include "core/http/proxy_protocol.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <vector>

#include "core/http/chars.hpp"

namespace gpp::core::http {
namespace {

constexpr std::string_view kV2Signature("\r\n\r\n\0\r\nQUIT\n", 12);
constexpr std::string_view kV1Prefix = "PROXY ";
// The spec's maximum v1 line (CRLF included); gunicorn reads without bound.
constexpr std::size_t kV1MaxLine = 107;

ProxyResult error(int status, const char* cls, std::string detail) {
  ProxyResult r;
  r.status = ProxyStatus::Error;
  r.http_status = status;
  r.error_class = cls;
  r.error_detail = std::move(detail);
  return r;
}

ProxyResult bad_line(std::string_view msg_or_line) {
  return error(400, "InvalidProxyLine", "Invalid PROXY line: " + detail::py_repr(msg_or_line));
}

ProxyResult bad_header(const std::string& msg) {
  // gunicorn answers InvalidProxyHeader with 500 (not in handle_error's
  // list); we answer 400 like the other malformed PROXY input.
  return error(400, "InvalidProxyHeader", "Invalid PROXY header: " + msg);
}

bool is_py_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f') || c == '\x85' ||
         c == '\xa0';
}

// Python int(str): surrounding whitespace, a sign, digits with single '_'
// between them. Returns false where int() raises ValueError.
bool py_int(std::string_view s, long long& out) {
  while (!s.empty() && is_py_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_py_space(s.back())) s.remove_suffix(1);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.front() == '_' || s.back() == '_') return false;
  long long v = 0;
  char prev = 0;
  for (char c : s) {
    if (c == '_') {
      if (prev == '_') return false;
    } else if (c >= '0' && c <= '9') {
      if (v > 1'000'000) v = 1'000'000;  // saturate: only the 0..65535 range matters
      v = v * 10 + (c - '0');
    } else {
      return false;
    }
    prev = c;
  }
  out = neg ? -v : v;
  return true;
}

bool valid_ip(int af, std::string_view s) {
  if (s.size() > 45) return false;
  char tmp[46];
  s.copy(tmp, s.size());
  tmp[s.size()] = '\0';
  unsigned char bin[16];
  return ::inet_pton(af, tmp, bin) == 1;
}

std::string ntop(int af, const unsigned char* p) {
  char buf[INET6_ADDRSTRLEN];
  return ::inet_ntop(af, p, buf, sizeof buf) != nullptr ? std::string(buf) : std::string();
}

std::uint16_t be16(const unsigned char* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

ProxyResult parse_v1(std::string_view buf) {
  const std::size_t idx = detail::find_crlf(buf);
  if (idx == std::string_view::npos) {
    if (buf.size() >= kV1MaxLine) return bad_line(buf.substr(0, kV1MaxLine));
    return ProxyResult{};
  }
  if (idx + 2 > kV1MaxLine) return bad_line(buf.substr(0, idx));
  const std::string_view line = buf.substr(0, idx);
  std::vector<std::string_view> bits;
  std::size_t pos = 0;
  while (true) {
    std::size_t sp = line.find(' ', pos);
    bits.push_back(line.substr(pos, sp == std::string_view::npos ? sp : sp - pos));
    if (sp == std::string_view::npos) break;
    pos = sp + 1;
  }
  if (bits.size() != 6) return bad_line(line);
  const std::string_view proto = bits[1];
  int af = 0;
  if (proto == "TCP4") {
    af = AF_INET;
  } else if (proto == "TCP6") {
    af = AF_INET6;
  } else {
    return bad_line("protocol '" + std::string(proto) + "' not supported");
  }
  if (!valid_ip(af, bits[2]) || !valid_ip(af, bits[3])) return bad_line(line);
  long long sport = 0, dport = 0;
  if (!py_int(bits[4], sport) || !py_int(bits[5], dport) || sport < 0 || sport > 65535 ||
      dport < 0 || dport > 65535) {
    return bad_line("invalid port " + std::string(line));
  }
  ProxyResult r;
  r.status = ProxyStatus::Complete;
  r.consumed = idx + 2;
  r.present = true;
  r.info.version = 1;
  r.info.family = af == AF_INET ? ProxyFamily::Tcp4 : ProxyFamily::Tcp6;
  r.info.src_addr = std::string(bits[2]);
  r.info.dst_addr = std::string(bits[3]);
  r.info.src_port = static_cast<std::uint16_t>(sport);
  r.info.dst_port = static_cast<std::uint16_t>(dport);
  return r;
}

ProxyResult parse_v2(std::string_view buf) {
  if (buf.size() < 16) return ProxyResult{};
  const auto* b = reinterpret_cast<const unsigned char*>(buf.data());
  const int version = b[12] >> 4;
  if (version != 2) return bad_header("unsupported version " + std::to_string(version));
  const int command = b[12] & 0x0f;
  if (command != 0 && command != 1) {
    return bad_header("unsupported command " + std::to_string(command));
  }
  const std::size_t length = be16(b + 14);
  const std::size_t total = 16 + length;
  if (buf.size() < total) return ProxyResult{};

  ProxyResult r;
  r.status = ProxyStatus::Complete;
  r.consumed = total;
  r.present = true;
  r.info.version = 2;
  if (command == 0) {  // LOCAL
    r.info.family = ProxyFamily::Local;
    return r;
  }
  const int family = b[13] >> 4;
  const int protocol = b[13] & 0x0f;
  if (protocol != 1) return bad_header("only TCP protocol is supported");
  const unsigned char* a = b + 16;
  if (family == 1) {
    if (length < 12) return bad_header("insufficient address data for IPv4");
    r.info.family = ProxyFamily::Tcp4;
    r.info.src_addr = ntop(AF_INET, a);
    r.info.dst_addr = ntop(AF_INET, a + 4);
    r.info.src_port = be16(a + 8);
    r.info.dst_port = be16(a + 10);
  } else if (family == 2) {
    if (length < 36) return bad_header("insufficient address data for IPv6");
    r.info.family = ProxyFamily::Tcp6;
    r.info.src_addr = ntop(AF_INET6, a);
    r.info.dst_addr = ntop(AF_INET6, a + 16);
    r.info.src_port = be16(a + 32);
    r.info.dst_port = be16(a + 34);
  } else if (family == 0) {
    r.info.family = ProxyFamily::Unspec;
  } else {
    return bad_header("unsupported address family " + std::to_string(family));
  }
  return r;
}

// true when `buf` (possibly short) is a prefix of `sig` or starts with it.
bool matches_prefix(std::string_view buf, std::string_view sig) {
  const std::size_t n = std::min(buf.size(), sig.size());
  return buf.substr(0, n) == sig.substr(0, n);
}

}  // namespace

std::optional<ProxyMode> proxy_mode_from_string(std::string_view s) noexcept {
  if (s == "off" || s == "false" || s == "False") return ProxyMode::Off;
  if (s == "v1") return ProxyMode::V1;
  if (s == "v2") return ProxyMode::V2;
  if (s == "auto" || s == "true" || s == "True") return ProxyMode::Auto;
  return std::nullopt;
}

std::string_view ProxyInfo::protocol() const noexcept {
  switch (family) {
    case ProxyFamily::Tcp4: return "TCP4";
    case ProxyFamily::Tcp6: return "TCP6";
    case ProxyFamily::Local: return "LOCAL";
    case ProxyFamily::Unspec: return "UNSPEC";
  }
  return "";
}

ProxyResult parse_proxy_header(std::string_view buf, ProxyMode mode, bool peer_allowed,
                               std::string_view peer_host) {
  ProxyResult none;
  none.status = ProxyStatus::Complete;
  if (mode == ProxyMode::Off) return none;
  const bool v2 = (mode == ProxyMode::V2 || mode == ProxyMode::Auto) &&
                  matches_prefix(buf, kV2Signature);
  const bool v1 = (mode == ProxyMode::V1 || mode == ProxyMode::Auto) &&
                  matches_prefix(buf, kV1Prefix);
  if (!v1 && !v2) return none;
  if (v2 && buf.size() < kV2Signature.size()) return ProxyResult{};
  if (v1 && buf.size() < kV1Prefix.size()) return ProxyResult{};
  if (!peer_allowed) {
    return error(403, "ForbiddenProxyRequest",
                 "Proxy request from " + detail::py_repr(peer_host) + " not allowed");
  }
  return v2 ? parse_v2(buf) : parse_v1(buf);
}

}  // namespace gpp::core::http
