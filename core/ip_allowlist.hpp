#pragma once
// forwarded_allow_ips / proxy_allow_ips: addresses and CIDR networks
// (IPv4 and IPv6), or "*" for every peer.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gpp::core {

class IpAllowlist {
 public:
  IpAllowlist() = default;
  /// Entries like "127.0.0.1", "::1", "10.0.0.0/8", "*". Invalid entries are skipped.
  explicit IpAllowlist(const std::vector<std::string>& entries);
  [[nodiscard]] bool allows(std::string_view address) const noexcept;
  [[nodiscard]] bool allows_all() const noexcept { return all_; }

 private:
  struct Net {
    std::array<std::uint8_t, 16> addr{};
    int family = 0;  // 4 or 6
    int prefix = 0;
  };
  bool all_ = false;
  std::vector<Net> nets_;
};

}  // namespace gpp::core
