// Python repr() of str/bytes, so error details read exactly as gunicorn's
// exception messages ("Invalid HTTP method: 'get'").
#include <string>
#include <string_view>

#include "core/http/chars.hpp"

namespace gpp::core::http::detail {
namespace {

void append_hex(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

char pick_quote(std::string_view s) {
  bool single = s.find('\'') != std::string_view::npos;
  bool dbl = s.find('"') != std::string_view::npos;
  return (single && !dbl) ? '"' : '\'';
}

std::string repr(std::string_view s, bool bytes) {
  const char q = pick_quote(s);
  std::string out;
  out.reserve(s.size() + 3);
  if (bytes) out += 'b';
  out += q;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == q || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\t') {
      out += "\\t";
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      append_hex(out, c);
    } else if (c >= 0x80) {
      // str: U+0080..U+00A0 and U+00AD are not printable; bytes: all escaped.
      if (bytes || c <= 0xa0 || c == 0xad) {
        append_hex(out, c);
      } else {
        out += ch;
      }
    } else {
      out += ch;
    }
  }
  out += q;
  return out;
}

}  // namespace

std::string py_repr(std::string_view latin1) { return repr(latin1, false); }
std::string py_repr_bytes(std::string_view bytes) { return repr(bytes, true); }

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_upper(c);
  return out;
}

}  // namespace gpp::core::http::detail
