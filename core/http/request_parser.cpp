// parse_request_head: locate the request line and the header block, apply
// the limits, then the framing rules of gunicorn 26.1 Message.set_body_reader
// and should_close.
#include "core/http/request_parser.hpp"

#include <string>

#include "core/http/chars.hpp"
#include "core/http/parse_internal.hpp"

namespace gpp::core::http {
namespace detail {

EffectiveLimits effective_limits(const ParserOptions& opts) noexcept {
  constexpr std::size_t kMaxRequestLine = 8190;
  constexpr std::size_t kMaxHeaders = 32768;
  constexpr std::size_t kDefaultFieldSize = 8190;
  EffectiveLimits l{};
  l.request_line = opts.limit_request_line >= kMaxRequestLine ? kMaxRequestLine
                                                              : opts.limit_request_line;
  l.fields = (opts.limit_request_fields == 0 || opts.limit_request_fields > kMaxHeaders)
                 ? kMaxHeaders
                 : opts.limit_request_fields;
  l.field_size = opts.limit_request_field_size == 0 ? kDefaultFieldSize
                                                    : opts.limit_request_field_size;
  l.max_buffer_headers = l.fields * (l.field_size + 2) + 4;
  return l;
}

}  // namespace detail

namespace {

using detail::Failure;
using detail::iequals;

ParseResult error_result(Failure&& f) {
  ParseResult r;
  r.status = ParseStatus::Error;
  r.http_status = f.status;
  r.error_class = f.error_class;
  r.error_detail = std::move(f.detail);
  return r;
}

ParseResult error_result(int status, const char* cls, std::string detail) {
  return error_result(Failure{status, cls, std::move(detail)});
}

// RFC 9112 §3: 414 when the request-target is what makes the line too long
// (a method and a space came first, and nothing longer than a version after
// the target); 400 otherwise, as gunicorn answers LimitRequestLine.
int line_limit_status(std::string_view line) {
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 > 20) return 400;
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return 414;
  return line.size() - sp2 - 1 <= 8 ? 414 : 400;
}

// Python's str.strip() for the characters a validated value may still hold.
std::string_view strip_py_ws(std::string_view s) {
  auto ws = [](char c) {
    return c == ' ' || c == '\t' || c == '\x85' || c == '\xa0';
  };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

bool has_token(std::string_view list, std::string_view lower_token) {
  std::size_t pos = 0;
  while (pos <= list.size()) {
    std::size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos) comma = list.size();
    if (iequals(detail::trim_ows(list.substr(pos, comma - pos)), lower_token)) return true;
    pos = comma + 1;
  }
  return false;
}

// set_body_reader + should_close. Returns false with `f` on rejection.
bool decide_framing(RequestHead& head, Failure& f) {
  bool chunked = false, must_close = false, upgrade_token = false, upgrade_header = false;
  const Header* content_length = nullptr;
  const Header* connection = nullptr;
  auto invalid = [&f](const char* name) {
    f = Failure{400, "InvalidHeader", std::string("Invalid HTTP Header: '") + name + "'"};
    return false;
  };
  for (const Header& h : head.headers) {
    const std::string_view n = h.name;
    // Only names starting with c/t/u matter here: skip the rest cheaply.
    const char first = detail::ascii_lower(n[0]);
    if (first != 'c' && first != 't' && first != 'u') continue;
    if (iequals(n, "content-length")) {
      if (content_length != nullptr) return invalid("CONTENT-LENGTH");
      content_length = &h;
    } else if (iequals(n, "transfer-encoding")) {
      std::size_t pos = 0;
      while (pos <= h.value.size()) {
        std::size_t comma = h.value.find(',', pos);
        if (comma == std::string_view::npos) comma = h.value.size();
        const std::string_view coding = strip_py_ws(h.value.substr(pos, comma - pos));
        pos = comma + 1;
        if (iequals(coding, "chunked")) {
          if (chunked) return invalid("TRANSFER-ENCODING");  // stacked chunked
          chunked = true;
        } else if (iequals(coding, "identity")) {
          if (chunked) return invalid("TRANSFER-ENCODING");
        } else if (iequals(coding, "compress") || iequals(coding, "deflate") ||
                   iequals(coding, "gzip")) {
          if (chunked) return invalid("TRANSFER-ENCODING");  // chunked must be last
          must_close = true;
        } else {
          f = Failure{501, "UnsupportedTransferCoding",
                      "Unsupported transfer coding: " + detail::py_repr(h.value)};
          return false;
        }
      }
    } else if (iequals(n, "connection")) {
      if (connection == nullptr) connection = &h;
      upgrade_token = upgrade_token || has_token(h.value, "upgrade");
    } else if (iequals(n, "upgrade")) {
      upgrade_header = true;
    }
  }
  const bool http11 = head.version_major > 1 || (head.version_major == 1 && head.version_minor >= 1);
  if (chunked) {
    if (!http11) return invalid("TRANSFER-ENCODING");       // RFC 9112 §6.1
    if (content_length != nullptr) return invalid("CONTENT-LENGTH");  // CL + TE
    head.framing = Framing::Chunked;
  } else if (content_length != nullptr) {
    const std::string_view v = content_length->value;
    if (v.empty()) return invalid("CONTENT-LENGTH");
    std::uint64_t n = 0;
    std::size_t significant = 0;
    for (char c : v) {
      if (c < '0' || c > '9') return invalid("CONTENT-LENGTH");
      if (n != 0 || c != '0') ++significant;
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    // Deliberate difference: more than 19 significant digits cannot be a
    // real length (gunicorn's Python int would accept it).
    if (significant > 19) return invalid("CONTENT-LENGTH");
    head.framing = Framing::ContentLength;
    head.content_length = n;
  } else {
    head.framing = Framing::None;
  }
  if (must_close) {
    head.keep_alive = false;
  } else if (connection != nullptr && iequals(connection->value, "close")) {
    head.keep_alive = false;
  } else if (connection != nullptr && iequals(connection->value, "keep-alive")) {
    head.keep_alive = true;
  } else {
    head.keep_alive = http11;
  }
  head.upgrade = upgrade_token && upgrade_header;
  return true;
}

}  // namespace

ParseResult parse_request_head(std::string_view buf, const ParserOptions& opts,
                               bool peer_trusted, RequestHead& out) {
  out.clear();
  const detail::EffectiveLimits lim = detail::effective_limits(opts);

  const std::size_t line_end = detail::find_crlf(buf);
  if (line_end == std::string_view::npos) {
    if (lim.request_line > 0 && buf.size() > lim.request_line + 2) {
      // A trailing CR may be the first half of the line's CRLF.
      const std::string_view partial = buf.back() == '\r' ? buf.substr(0, buf.size() - 1) : buf;
      return error_result(line_limit_status(partial), "LimitRequestLine",
                          "Request Line is too large (" + std::to_string(buf.size()) + " > " +
                              std::to_string(lim.request_line) + ")");
    }
    return ParseResult{};
  }
  if (lim.request_line > 0 && line_end > lim.request_line) {
    return error_result(line_limit_status(buf.substr(0, line_end)), "LimitRequestLine",
                        "Request Line is too large (" + std::to_string(line_end) + " > " +
                            std::to_string(lim.request_line) + ")");
  }
  Failure f;
  if (!detail::parse_request_line(buf.substr(0, line_end), opts, out, f)) {
    return error_result(std::move(f));
  }

  const std::size_t hstart = line_end + 2;
  const std::string_view rest = buf.substr(hstart);
  if (out.headers.capacity() == 0) out.headers.reserve(32);
  detail::HeaderBlockContext ctx;
  ctx.opts = &opts;
  ctx.limits = &lim;
  ctx.from_trailer = false;
  ctx.peer_trusted = peer_trusted;
  ctx.version_major = out.version_major;
  ctx.version_minor = out.version_minor;
  detail::HeaderBlockExtras extras;

  std::size_t consumed = 0;
  bool any_underscore = true;
  const detail::ScanStatus scan =
      detail::fast_scan_headers(rest, lim, out.headers, consumed, any_underscore);
  if (scan == detail::ScanStatus::Complete) {
    if (consumed > 2 && consumed - 4 + 3 > lim.max_buffer_headers) {
      return error_result(431, "LimitRequestHeaders", "max buffer headers");
    }
    consumed += hstart;
    if (!detail::apply_policies(out.headers, ctx, extras, f, any_underscore) ||
        !decide_framing(out, f)) {
      return error_result(std::move(f));
    }
  } else {
    out.headers.clear();
    std::string_view block;
    if (rest.size() >= 2 && rest[0] == '\r' && rest[1] == '\n') {
      consumed = hstart + 2;  // no header fields at all
    } else {
      const std::size_t end = detail::find_crlfcrlf(rest);
      if (end == std::string_view::npos) {
        if (rest.size() > lim.max_buffer_headers) {
          return error_result(431, "LimitRequestHeaders", "max buffer headers");
        }
        out.clear();
        return ParseResult{};
      }
      // The buffer limit applies whether the head arrived in one read or many:
      // a prefix ending just before the last LF would already have exceeded it.
      if (end + 3 > lim.max_buffer_headers) {
        return error_result(431, "LimitRequestHeaders", "max buffer headers");
      }
      block = rest.substr(0, end);
      consumed = hstart + end + 4;
    }
    if (!detail::parse_header_block(block, ctx, out.headers, out.storage, extras, f) ||
        !decide_framing(out, f)) {
      return error_result(std::move(f));
    }
  }
  out.expect_continue = extras.expect_continue;
  out.forwarded_scheme = extras.forwarded_scheme;

  ParseResult r;
  r.status = ParseStatus::Complete;
  r.consumed = consumed;
  return r;
}

}  // namespace gpp::core::http
