#include "core/ip_allowlist.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace gpp::core {
namespace {

bool parse_ip(std::string_view text, std::array<std::uint8_t, 16>& out, int& family) {
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (::inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
    family = 4;
    return true;
  }
  if (::inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
    family = 6;
    // An IPv4-mapped IPv6 peer (::ffff:a.b.c.d) matches IPv4 entries.
    static const std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(mapped, mapped + 12, out.begin())) {
      std::copy(out.begin() + 12, out.end(), out.begin());
      family = 4;
    }
    return true;
  }
  return false;
}

}  // namespace

IpAllowlist::IpAllowlist(const std::vector<std::string>& entries) {
  for (const auto& raw : entries) {
    std::string_view e = raw;
    while (!e.empty() && e.front() == ' ') e.remove_prefix(1);
    while (!e.empty() && e.back() == ' ') e.remove_suffix(1);
    if (e == "*") {
      all_ = true;
      continue;
    }
    Net n;
    auto slash = e.find('/');
    if (!parse_ip(e.substr(0, slash), n.addr, n.family)) continue;
    int max = n.family == 4 ? 32 : 128;
    n.prefix = max;
    if (slash != std::string_view::npos) {
      auto p = e.substr(slash + 1);
      int v = -1;
      auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
      if (ec != std::errc() || ptr != p.data() + p.size() || v < 0 || v > max) continue;
      n.prefix = v;
    }
    nets_.push_back(n);
  }
}

bool IpAllowlist::allows(std::string_view address) const noexcept {
  if (all_) return true;
  std::array<std::uint8_t, 16> a{};
  int family = 0;
  if (!parse_ip(address, a, family)) return false;
  for (const auto& n : nets_) {
    if (n.family != family) continue;
    int bits = n.prefix;
    bool match = true;
    for (int i = 0; bits > 0 && match; ++i, bits -= 8) {
      std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
      match = (a[i] & mask) == (n.addr[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

}  // namespace gpp::core
