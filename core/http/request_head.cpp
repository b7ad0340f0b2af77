#include "core/http/request_head.hpp"

#include "core/http/chars.hpp"

namespace gpp::core::http {

const Header* RequestHead::find(std::string_view name) const noexcept {
  for (const Header& h : headers) {
    if (h.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (detail::ascii_lower(h.name[i]) != detail::ascii_lower(name[i])) {
        same = false;
        break;
      }
    }
    if (same) return &h;
  }
  return nullptr;
}

void RequestHead::clear() {
  method = target = path = query = fragment = {};
  version_major = 1;
  version_minor = 1;
  headers.clear();  // keeps capacity: no allocation on the next request
  framing = Framing::None;
  content_length = 0;
  keep_alive = false;
  expect_continue = false;
  upgrade = false;
  forwarded_scheme = {};
  storage.clear();
}

}  // namespace gpp::core::http
