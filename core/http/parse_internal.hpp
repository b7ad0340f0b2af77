#pragma once
// Internal pieces of the request parser shared by request_parser.cpp,
// request_line.cpp, header_block.cpp and chunked_decoder.cpp. Not API.
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/request_head.hpp"
#include "core/http/request_parser.hpp"

namespace gpp::core::http::detail {

/// A rejection: gunicorn's exception class, the status we answer, str(exc).
struct Failure {
  int status = 0;
  const char* error_class = "";
  std::string detail;
};

/// Limits after gunicorn's normalisation (message.py Message/Request __init__).
struct EffectiveLimits {
  std::size_t request_line;  ///< 0 = unlimited, capped at 8190
  std::size_t fields;        ///< 1..32768
  std::size_t field_size;    ///< > 0 (0 in the options means 8190)
  std::size_t max_buffer_headers;
};
[[nodiscard]] EffectiveLimits effective_limits(const ParserOptions& opts) noexcept;

/// Parts of a request-target as urllib.parse.urlsplit (via gunicorn's
/// split_request_uri) yields them. Views into the target.
struct TargetParts {
  std::string_view path, query, fragment;
};
/// false where urlsplit raises ValueError (unbalanced or invalid [IPv6] host).
bool split_target(std::string_view target, TargetParts& out);

/// Parse the request line (without CRLF) into `out`. false + `f` on rejection.
bool parse_request_line(std::string_view line, const ParserOptions& opts, RequestHead& out,
                        Failure& f);

/// Where a header block comes from, and what its policy may change.
struct HeaderBlockContext {
  const ParserOptions* opts = nullptr;
  const EffectiveLimits* limits = nullptr;
  bool from_trailer = false;
  bool peer_trusted = false;  ///< forwarder/scheme headers honoured (never for trailers)
  int version_major = 1;
  int version_minor = 1;
};

/// Outputs of the per-header policy besides the header list.
struct HeaderBlockExtras {
  bool expect_continue = false;
  std::string_view forwarded_scheme;  ///< "http" / "https" when a scheme header was seen
};

/// Parse the lines of a header (or trailer) block, without the final empty
/// line, applying gunicorn's parse_headers + header policy. Kept headers are
/// appended to `out`; folded values are stored in `storage`.
bool parse_header_block(std::string_view block, const HeaderBlockContext& ctx,
                        std::vector<Header>& out, std::deque<std::string>& storage,
                        HeaderBlockExtras& extras, Failure& f);

/// Per-header policy (singletons, Expect, scheme headers, header_map) over
/// headers that already passed the line rules; dropped ones are removed.
/// `any_underscore`: false when no name holds '_' (skips that check).
bool apply_policies(std::vector<Header>& headers, const HeaderBlockContext& ctx,
                    HeaderBlockExtras& extras, Failure& f, bool any_underscore = true);

enum class ScanStatus { Complete, NeedMore, Unusual };

/// Fast path for the common head: one pass that splits and checks plain
/// lines (token name, ':', value without CTLs, within the field limits).
/// Anything else (folding, bad bytes, limits hit) returns Unusual and the
/// caller re-parses with parse_header_block, which reports the exact error.
/// Complete: `consumed` = bytes of `rest` up to and incl. the empty line.
/// `any_underscore` tells whether some name holds '_'.
ScanStatus fast_scan_headers(std::string_view rest, const EffectiveLimits& lim,
                             std::vector<Header>& out, std::size_t& consumed,
                             bool& any_underscore);

}  // namespace gpp::core::http::detail
