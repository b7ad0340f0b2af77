// Request line: method, request-target (and its urlsplit parts), version.
// Rules and their order follow gunicorn 26.1 Message.parse_request_line.
#include <arpa/inet.h>

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

bool invalid_line(Failure& f, std::string_view line) {
  return fail(f, 400, "InvalidRequestLine", "Invalid HTTP request line: " + py_repr(line));
}

bool is_scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// urllib.parse._check_bracketed_host: "v<hex>.<any>" (IPvFuture) or an IPv6
// address (zone id allowed); an IPv4 address inside brackets is an error.
bool valid_bracketed_host(std::string_view host) {
  if (!host.empty() && host[0] == 'v') {
    std::size_t i = 1;
    while (i < host.size() && is_hex(host[i])) ++i;
    return i > 1 && i + 1 < host.size() && host[i] == '.';
  }
  std::string_view addr = host;
  if (auto pct = host.find('%'); pct != std::string_view::npos) {
    std::string_view zone = host.substr(pct + 1);
    if (zone.empty() || zone.find('%') != std::string_view::npos ||
        zone.find('/') != std::string_view::npos) {
      return false;
    }
    addr = host.substr(0, pct);
  }
  if (addr.size() > 45) return false;
  char tmp[46];
  addr.copy(tmp, addr.size());
  tmp[addr.size()] = '\0';
  unsigned char bin[16];
  return ::inet_pton(AF_INET6, tmp, bin) == 1;
}

}  // namespace

bool split_target(std::string_view url, TargetParts& out) {
  // gunicorn's split_request_uri: a leading "//" is a path, never a netloc.
  if (url.substr(0, 2) != "//") {
    if (std::size_t colon = url.find(':');
        colon != std::string_view::npos && colon > 0 && is_alpha(url[0])) {
      bool all = true;
      for (std::size_t i = 0; i < colon; ++i) all = all && is_scheme_char(url[i]);
      if (all) url.remove_prefix(colon + 1);
    }
    if (url.substr(0, 2) == "//") {
      std::size_t end = url.find_first_of("/?#", 2);
      if (end == std::string_view::npos) end = url.size();
      std::string_view netloc = url.substr(2, end - 2);
      url.remove_prefix(end);
      const bool open = netloc.find('[') != std::string_view::npos;
      const bool close = netloc.find(']') != std::string_view::npos;
      if (open != close) return false;
      if (open) {
        std::string_view after = netloc.substr(netloc.find('[') + 1);
        if (!valid_bracketed_host(after.substr(0, after.find(']')))) return false;
      }
    }
  }
  out.fragment = {};
  out.query = {};
  if (std::size_t hash = url.find('#'); hash != std::string_view::npos) {
    out.fragment = url.substr(hash + 1);
    url = url.substr(0, hash);
  }
  if (std::size_t q = url.find('?'); q != std::string_view::npos) {
    out.query = url.substr(q + 1);
    url = url.substr(0, q);
  }
  out.path = url;
  return true;
}

bool parse_request_line(std::string_view line, const ParserOptions& opts, RequestHead& out,
                        Failure& f) {
  // line.split(b" ", 2): exactly three parts, the last one may hold spaces.
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return invalid_line(f, line);
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return invalid_line(f, line);
  std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);

  bool has_lower = false;
  for (char c : method) has_lower = has_lower || (c >= 'a' && c <= 'z');
  if (!opts.permit_unconventional_http_method) {
    if (has_lower || method.find('#') != std::string_view::npos || method.size() < 3 ||
        method.size() > 20) {
      return fail(f, 400, "InvalidRequestMethod", "Invalid HTTP method: " + py_repr(method));
    }
  }
  if (!is_token(method)) {
    return fail(f, 400, "InvalidRequestMethod", "Invalid HTTP method: " + py_repr(method));
  }
  if (opts.casefold_http_method && has_lower) {
    out.storage.push_back(to_upper(method));
    method = out.storage.back();
  }

  if (target.empty()) return invalid_line(f, line);
  // Deliberate difference: CTLs in the target are rejected (gunicorn lets
  // urlsplit silently drop TAB/CR/LF from PATH_INFO while RAW_URI keeps them).
  if (find_ctl<false>(target.data(), target.size()) != target.size()) {
    return invalid_line(f, line);
  }
  if (target == "*" && method != "OPTIONS") return invalid_line(f, line);
  if (method != "CONNECT" && target != "*" && target[0] != '/' &&
      target.find("://") == std::string_view::npos) {
    return invalid_line(f, line);
  }
  TargetParts parts;
  if (!split_target(target, parts)) return invalid_line(f, line);

  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[5] < '0' ||
      version[5] > '9' || version[6] != '.' || version[7] < '0' || version[7] > '9') {
    return fail(f, 400, "InvalidHTTPVersion", "Invalid HTTP Version: " + py_repr(version));
  }
  const int major = version[5] - '0';
  const int minor = version[7] - '0';
  if (!(major == 1 && minor <= 1) && !opts.permit_unconventional_http_version) {
    // Well-formed but unsupported major version: RFC 9110 §15.6.6 names 505.
    return fail(f, major == 1 ? 400 : 505, "InvalidHTTPVersion",
                "Invalid HTTP Version: (" + std::to_string(major) + ", " + std::to_string(minor) +
                    ")");
  }

  out.method = method;
  out.target = target;
  out.path = parts.path;
  out.query = parts.query;
  out.fragment = parts.fragment;
  out.version_major = major;
  out.version_minor = minor;
  return true;
}

}  // namespace gpp::core::http::detail
