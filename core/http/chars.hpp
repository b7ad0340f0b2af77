#pragma once
// Internal character classes and small string helpers shared by the parser,
// the chunked decoder and the response validators. Not part of the API.
#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gpp::core::http::detail {

/// RFC 9110 §5.6.2 tchar table.
inline constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

/// Bytes never allowed in a field value (RFC 9110 §5.5): CTLs except HTAB, and DEL.
inline constexpr std::array<bool, 256> kBadValueChars = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = c != '\t';
  t[0x7f] = true;
  return t;
}();

[[nodiscard]] inline bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!kTokenChars[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

[[nodiscard]] inline bool has_bad_value_char(std::string_view s) noexcept {
  for (char c : s) {
    if (kBadValueChars[static_cast<unsigned char>(c)]) return true;
  }
  return false;
}

[[nodiscard]] constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}
[[nodiscard]] constexpr char ascii_upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

/// ASCII case-insensitive equality; `lower` must already be lower case.
[[nodiscard]] inline bool iequals(std::string_view s, std::string_view lower) noexcept {
  if (s.size() != lower.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (ascii_lower(s[i]) != lower[i]) return false;
  }
  return true;
}

/// True when upper-casing `s` (ASCII) gives exactly `upper` (which may hold any case).
[[nodiscard]] inline bool upper_equals(std::string_view s, std::string_view upper) noexcept {
  if (s.size() != upper.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (ascii_upper(s[i]) != upper[i]) return false;
  }
  return true;
}

/// Strip SP and HTAB on both sides (gunicorn's strip(" \t")).
[[nodiscard]] inline std::string_view trim_ows(std::string_view s) noexcept {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

/// Position of the first "\r\n" at or after `from`, or npos.
[[nodiscard]] inline std::size_t find_crlf(std::string_view s, std::size_t from = 0) noexcept {
  while (from < s.size()) {
    const void* p = std::memchr(s.data() + from, '\r', s.size() - from);
    if (p == nullptr) return std::string_view::npos;
    std::size_t i = static_cast<const char*>(p) - s.data();
    if (i + 1 < s.size() && s[i + 1] == '\n') return i;
    from = i + 1;
  }
  return std::string_view::npos;
}

/// Position of the first "\r\n\r\n" at or after `from`, or npos.
[[nodiscard]] inline std::size_t find_crlfcrlf(std::string_view s, std::size_t from = 0) noexcept {
  while (from < s.size()) {
    const void* p = std::memchr(s.data() + from, '\n', s.size() - from);
    if (p == nullptr) return std::string_view::npos;
    std::size_t i = static_cast<const char*>(p) - s.data();
    // i is an LF; the terminator ends at i+2 when s[i-1..i+2] == "\r\n\r\n".
    if (i >= 1 && i + 2 < s.size() && s[i - 1] == '\r' && s[i + 1] == '\r' && s[i + 2] == '\n') {
      return i - 1;
    }
    from = i + 1;
  }
  return std::string_view::npos;
}

/// Index of the first CTL (0x00-0x1F) or DEL in p[0, n), n if none. HTAB
/// counts as a CTL unless kAllowTab (field values allow it, targets do not).
template <bool kAllowTab>
[[nodiscard]] inline std::size_t find_ctl(const char* p, std::size_t n) noexcept {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i k1f = _mm_set1_epi8(0x1f);
  const __m128i ktab = _mm_set1_epi8('\t');
  const __m128i kdel = _mm_set1_epi8(0x7f);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, k1f), v);  // v <= 0x1f (unsigned)
    if constexpr (kAllowTab) ctl = _mm_andnot_si128(_mm_cmpeq_epi8(v, ktab), ctl);
    ctl = _mm_or_si128(ctl, _mm_cmpeq_epi8(v, kdel));
    if (const int m = _mm_movemask_epi8(ctl); m != 0) return i + __builtin_ctz(m);
  }
#endif
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 ? !(kAllowTab && c == '\t') : c == 0x7f) return i;
  }
  return n;
}

/// Python repr() of a latin-1 decoded str (gunicorn's "%r" of a str).
std::string py_repr(std::string_view latin1);
/// Python repr() of a bytes object (gunicorn's "%r" of bytes).
std::string py_repr_bytes(std::string_view bytes);
/// ASCII upper-case copy (for error details that show gunicorn's upper-cased names).
std::string to_upper(std::string_view s);

}  // namespace gpp::core::http::detail
