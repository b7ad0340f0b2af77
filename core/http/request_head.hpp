#pragma once
// The parsed request head: plain data, string_views into the caller's buffer
// (or into `storage` when the parser had to rewrite bytes, e.g. casefolded
// methods or obsolete-folded header values).
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace gpp::core::http {

struct Header {
  std::string_view name;   ///< as sent (case preserved)
  std::string_view value;  ///< leading/trailing whitespace trimmed
};

/// How the request body is delimited.
enum class Framing { None, ContentLength, Chunked };

struct RequestHead {
  std::string_view method;  ///< as sent, or upper-cased when casefold_http_method
  std::string_view target;  ///< request-target exactly as sent (RAW_URI)
  std::string_view path;    ///< path part of target, not percent-decoded
  std::string_view query;   ///< after '?', without '#fragment'
  std::string_view fragment;
  int version_major = 1;
  int version_minor = 1;
  std::vector<Header> headers;  ///< in arrival order, after header_map rules

  Framing framing = Framing::None;
  std::uint64_t content_length = 0;  ///< valid when framing == ContentLength
  /// What the client asked for (version + first Connection header), false
  /// when a compress/deflate/gzip transfer-coding forces close (gunicorn).
  bool keep_alive = false;
  bool expect_continue = false;      ///< "Expect: 100-continue" on HTTP/1.1
  bool upgrade = false;              ///< Connection: upgrade + Upgrade header present
  /// "https"/"http" when a secure_scheme_headers entry was sent by a trusted
  /// peer (wsgi.url_scheme override); empty otherwise.
  std::string_view forwarded_scheme;

  std::deque<std::string> storage;  ///< owns rewritten bytes that views point into

  /// First header with this name (ASCII case-insensitive), or nullptr.
  [[nodiscard]] const Header* find(std::string_view name) const noexcept;
  void clear();
};

}  // namespace gpp::core::http
