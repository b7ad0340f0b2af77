// Fast path of the header block (see fast_scan_headers in parse_internal.hpp):
// the value scan finds CTLs and the line's CR in one SSE2 pass.
#include <string_view>

#include "core/http/chars.hpp"
#include "core/http/parse_internal.hpp"

namespace gpp::core::http::detail {

ScanStatus fast_scan_headers(std::string_view rest, const EffectiveLimits& lim,
                             std::vector<Header>& out, std::size_t& consumed,
                             bool& any_underscore) {
  const char* const b = rest.data();
  const std::size_t n = rest.size();
  std::size_t pos = 0;
  std::size_t lines = 0;
  any_underscore = false;
  while (true) {
    if (pos + 1 >= n) return ScanStatus::NeedMore;
    if (b[pos] == '\r') {
      if (b[pos + 1] != '\n') return ScanStatus::Unusual;
      consumed = pos + 2;
      return ScanStatus::Complete;
    }
    const std::size_t start = pos;
    bool underscore = false;
    while (pos < n && kTokenChars[static_cast<unsigned char>(b[pos])]) underscore |= b[pos++] == '_';
    any_underscore |= underscore;
    if (pos == n) return ScanStatus::NeedMore;
    if (b[pos] != ':' || pos == start) return ScanStatus::Unusual;
    const std::string_view name(b + start, pos - start);
    ++pos;
    const std::size_t end = pos + find_ctl<true>(b + pos, n - pos);
    if (end == n) return ScanStatus::NeedMore;
    if (b[end] != '\r') return ScanStatus::Unusual;
    if (end + 1 == n) return ScanStatus::NeedMore;
    if (b[end + 1] != '\n') return ScanStatus::Unusual;
    // A continuation line next would fold into this value: slow path.
    if (end + 2 < n && (b[end + 2] == ' ' || b[end + 2] == '\t')) return ScanStatus::Unusual;
    if (end - start + 2 > lim.field_size || ++lines > lim.fields) return ScanStatus::Unusual;
    out.push_back(Header{name, trim_ows(std::string_view(b + pos, end - pos))});
    pos = end + 2;
  }
}

}  // namespace gpp::core::http::detail
