// Header and trailer blocks: gunicorn 26.1 Message.parse_headers plus
// HeaderPolicy._apply_header_policy, in the same order of checks, so the
// same input fails with the same exception class.
#include <string>
#include <string_view>

#include "core/http/chars.hpp"
#include "core/http/parse_internal.hpp"

namespace gpp::core::http::detail {
namespace {

bool fail(Failure& f, int status, const char* cls, std::string detail) {
  f.status = status;
  f.error_class = cls;
  f.detail = std::move(detail);
  return false;
}

bool invalid_header(Failure& f, std::string_view upper_name_or_line, bool is_line = false) {
  return fail(f, 400, "InvalidHeader",
              "Invalid HTTP Header: " +
                  py_repr(is_line ? std::string(upper_name_or_line) : to_upper(upper_name_or_line)));
}

bool invalid_name(Failure& f, std::string_view name, bool upper) {
  return fail(f, 400, "InvalidHeaderName",
              "Invalid HTTP header name: " + py_repr(upper ? to_upper(name) : std::string(name)));
}

bool limit_headers(Failure& f, const char* msg) {
  return fail(f, 431, "LimitRequestHeaders", msg);
}

// RFC 9110 §6.5.1: fields that must not appear in trailers.
bool forbidden_in_trailer(std::string_view name) {
  return iequals(name, "host") || iequals(name, "content-length") ||
         iequals(name, "transfer-encoding") || iequals(name, "trailer") ||
         iequals(name, "authorization") || iequals(name, "te");
}

// Everything after the line parse: singletons, Expect, scheme headers, '_'.
// Returns false on rejection; sets `keep` to false when the header is dropped.
bool apply_policy(std::string_view name, std::string_view value, const HeaderBlockContext& ctx,
                  bool& seen_host, bool& seen_ctype, bool& keep, HeaderBlockExtras& extras,
                  bool& scheme_seen, Failure& f, bool check_underscore = true) {
  keep = true;
  // RFC 9110 §5.3: Host and Content-Type admit one member only (26.1).
  if (iequals(name, "host")) {
    if (seen_host) return invalid_header(f, name);
    seen_host = true;
  } else if (iequals(name, "content-type")) {
    if (seen_ctype) return invalid_header(f, name);
    seen_ctype = true;
  }
  if (!ctx.from_trailer && iequals(name, "expect")) {
    if (iequals(value, "100-continue")) {
      // RFC 9110 §10.1.1: ignore the expectation on HTTP/1.0.
      if (ctx.version_major > 1 || (ctx.version_major == 1 && ctx.version_minor >= 1)) {
        extras.expect_continue = true;
      }
    } else {
      return fail(f, 417, "ExpectationFailed",
                  "Unable to comply with expectation: " + py_repr(value));
    }
  }
  const bool trusted = ctx.peer_trusted && !ctx.from_trailer;
  if (trusted) {
    for (const auto& [hname, hvalue] : ctx.opts->secure_scheme_headers) {
      if (!upper_equals(name, hname)) continue;
      std::string_view scheme = value == hvalue ? "https" : "http";
      if (scheme_seen) {
        if (scheme != extras.forwarded_scheme) {
          return fail(f, 400, "InvalidSchemeHeaders", "Contradictory scheme headers");
        }
      } else {
        scheme_seen = true;
        extras.forwarded_scheme = scheme;
      }
      break;
    }
  }
  bool underscore = false;
  if (check_underscore) {
    for (char c : name) underscore |= c == '_';
  }
  if (underscore) {
    bool forwarder = false;
    if (trusted) {
      for (const std::string& fh : ctx.opts->forwarder_headers) {
        if (fh == "*" || upper_equals(name, fh)) {
          forwarder = true;
          break;
        }
      }
    }
    if (forwarder || ctx.opts->header_map == HeaderMap::Dangerous) return true;
    if (ctx.opts->header_map == HeaderMap::Drop) {
      keep = false;
      return true;
    }
    return invalid_name(f, name, true);
  }
  return true;
}

}  // namespace

bool apply_policies(std::vector<Header>& headers, const HeaderBlockContext& ctx,
                    HeaderBlockExtras& extras, Failure& f, bool any_underscore) {
  bool seen_host = false, seen_ctype = false, scheme_seen = false;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    bool keep = true;
    if (!apply_policy(headers[i].name, headers[i].value, ctx, seen_host, seen_ctype, keep, extras,
                      scheme_seen, f, any_underscore)) {
      return false;
    }
    if (keep) {
      if (kept != i) headers[kept] = headers[i];
      ++kept;
    }
  }
  headers.resize(kept);
  return true;
}

bool parse_header_block(std::string_view block, const HeaderBlockContext& ctx,
                        std::vector<Header>& out, std::deque<std::string>& storage,
                        HeaderBlockExtras& extras, Failure& f) {
  const ParserOptions& opts = *ctx.opts;
  const EffectiveLimits& lim = *ctx.limits;
  bool seen_host = false, seen_ctype = false, scheme_seen = false;
  std::size_t kept = 0;
  std::size_t pos = 0;
  const std::size_t n = block.size();
  auto next_line = [&](std::string_view& line) {
    std::size_t end = find_crlf(block, pos);
    if (end == std::string_view::npos) end = n;
    line = block.substr(pos, end - pos);
    pos = end + 2;
  };

  while (pos < n) {
    if (kept >= lim.fields) return limit_headers(f, "limit request headers fields");
    std::string_view curr;
    next_line(curr);
    std::size_t header_length = curr.size() + 2;
    const std::size_t colon = curr.find(':');
    if (colon == std::string_view::npos || colon == 0) return invalid_header(f, curr, true);
    std::string_view name = curr.substr(0, colon);
    if (opts.strip_header_spaces) {
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    }
    if (!is_token(name)) return invalid_name(f, name, false);
    if (ctx.from_trailer && forbidden_in_trailer(name)) return invalid_name(f, name, true);
    std::string_view value = trim_ows(curr.substr(colon + 1));

    // Obsolete line folding (RFC 9112 §5.2): continuation lines start with SP/HTAB.
    std::string* joined = nullptr;
    while (pos < n && (block[pos] == ' ' || block[pos] == '\t')) {
      if (!opts.permit_obsolete_folding) {
        return fail(f, 400, "ObsoleteFolding",
                    "Obsolete line folding is unacceptable: " + py_repr(to_upper(name)));
      }
      std::string_view cont;
      next_line(cont);
      header_length += cont.size() + 2;
      if (header_length > lim.field_size) {
        return limit_headers(f, "limit request headers fields size");
      }
      if (joined == nullptr) {
        storage.emplace_back(value);
        joined = &storage.back();
      }
      *joined += ' ';
      *joined += trim_ows(cont);
    }
    if (joined != nullptr) value = *joined;

    if (has_bad_value_char(value)) return invalid_header(f, name);
    if (header_length > lim.field_size) {
      return limit_headers(f, "limit request headers fields size");
    }
    bool keep = true;
    if (!apply_policy(name, value, ctx, seen_host, seen_ctype, keep, extras, scheme_seen, f)) {
      return false;
    }
    if (keep) {
      out.push_back(Header{name, value});
      ++kept;
    }
  }
  return true;
}

}  // namespace gpp::core::http::detail
