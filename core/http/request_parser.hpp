#pragma once
// Pure HTTP/1.x request-head parser: bytes in, RequestHead out. No sockets,
// no Python. Decisions (which input is rejected, with which status) follow
// gunicorn 26.1 (http/message.py) except where RFC 9110/9112 name a more
// specific status (docs/compatibility.md lists each difference).
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/http/request_head.hpp"

namespace gpp::core::http {

/// header_map: what to do with a header name containing '_' (gunicorn 22+).
enum class HeaderMap {
  Drop,       ///< silently leave it out (default)
  Refuse,     ///< reject the request: 400 InvalidHeaderName
  Dangerous,  ///< keep it (pre-22 behaviour; X_Foo and X-Foo then merge in the environ)
};

/// The settings that change parsing (names as gunicorn's settings).
struct ParserOptions {
  /// Max request-line length without CRLF; 0 = unlimited; values above
  /// 8190 are capped at 8190 (as gunicorn does).
  std::size_t limit_request_line = 4094;
  /// Max header fields; 0 or more than 32768 means 32768 (gunicorn).
  std::size_t limit_request_fields = 100;
  /// Max bytes of one field incl. CRLF and folded lines; 0 means 8190 (gunicorn).
  std::size_t limit_request_field_size = 8190;
  /// Allow lower-case methods, '#', and lengths outside 3..20 (still a token).
  bool permit_unconventional_http_method = false;
  /// Allow any HTTP/d.d version, not only HTTP/1.0 and HTTP/1.1.
  bool permit_unconventional_http_version = false;
  /// Upper-case the method (stored in RequestHead::storage).
  bool casefold_http_method = false;
  /// Join obs-fold continuation lines with a space instead of rejecting them.
  bool permit_obsolete_folding = false;
  /// Drop SP/HTAB between a header name and its colon instead of rejecting it.
  bool strip_header_spaces = false;
  /// Names containing '_' (see HeaderMap).
  HeaderMap header_map = HeaderMap::Drop;
  /// Upper-case names (e.g. "SCRIPT_NAME") a trusted peer may send with '_'.
  std::vector<std::string> forwarder_headers{"SCRIPT_NAME", "PATH_INFO"};
  /// secure_scheme_headers: upper-case header name -> value meaning https.
  /// Honoured only for trusted peers; contradicting headers -> 400.
  std::vector<std::pair<std::string, std::string>> secure_scheme_headers{
      {"X-FORWARDED-PROTOCOL", "ssl"}, {"X-FORWARDED-PROTO", "https"}, {"X-FORWARDED-SSL", "on"}};
};

enum class ParseStatus { Complete, NeedMore, Error };

struct ParseResult {
  ParseStatus status = ParseStatus::NeedMore;
  std::size_t consumed = 0;  ///< bytes of the head (incl. final CRLF) when Complete
  int http_status = 0;       ///< when Error: 400, 403, 414, 417, 431, 501, 505 ...
  std::string error_class;   ///< gunicorn's exception name, e.g. "InvalidHeaderName"
  std::string error_detail;  ///< str(exc) as gunicorn formats it (latin-1 bytes of the input)
};

/// Parse one request head from the start of `buf`.
/// `peer_trusted`: the peer is in forwarded_allow_ips (or a unix socket).
/// Returns NeedMore while the head is incomplete (and within limits); call
/// again with the same bytes plus more (the parse restarts from buf[0]).
/// Errors in the request line are reported as soon as its CRLF is there;
/// header errors once the whole head is there (gunicorn's order).
/// `out` holds views into `buf` (and into out.storage); valid while `buf` is.
/// At EOF with NeedMore the caller closes silently (gunicorn's NoMoreData).
ParseResult parse_request_head(std::string_view buf, const ParserOptions& opts,
                               bool peer_trusted, RequestHead& out);

}  // namespace gpp::core::http
