// Response-side helpers: validators, hop-by-hop list, reason phrases,
// gunicorn's util.write_error page and the cached Date header value.
#include "core/http/response.hpp"

#include <cstring>
#include <ctime>
#include <string>

#include "core/http/chars.hpp"

namespace gpp::core::http {

bool valid_status(std::string_view status) noexcept {
  // gunicorn 26.1 sends any status as given; we keep to what makes an
  // RFC 9112 status-line: 3 digits, then nothing or SP and a reason.
  if (status.size() < 3 || (status.size() > 3 && status[3] != ' ')) return false;
  for (int i = 0; i < 3; ++i) {
    if (status[i] < '0' || status[i] > '9') return false;
  }
  return status.size() <= 4 || !detail::has_bad_value_char(status.substr(4));
}

bool valid_header_name(std::string_view name) noexcept { return detail::is_token(name); }

bool valid_header_value(std::string_view value) noexcept {
  // gunicorn's HEADER_VALUE_RE: [ \t\x21-\x7e\x80-\xff]*
  return !detail::has_bad_value_char(value);
}

bool is_hop_by_hop(std::string_view name) noexcept {
  // gunicorn util.is_hoppish: name.lower().strip() in hop_headers (which also
  // lists Server and Date: the server sets its own).
  std::string_view n = name;
  while (!n.empty() && (n.front() == ' ' || n.front() == '\t')) n.remove_prefix(1);
  while (!n.empty() && (n.back() == ' ' || n.back() == '\t')) n.remove_suffix(1);
  static constexpr std::string_view kHop[] = {
      "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
      "trailers",   "transfer-encoding", "upgrade", "server", "date"};
  for (std::string_view h : kHop) {
    if (detail::iequals(n, h)) return true;
  }
  return false;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: return "Unknown";
  }
}

namespace {

// Python html.escape(s, quote=True).
std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#x27;"; break;
      default: out += c;
    }
  }
  return out;
}

void put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

std::string error_response(int status, std::string_view reason, std::string_view message) {
  std::string body;
  body.reserve(160 + 2 * reason.size() + message.size());
  body += "<html>\n  <head>\n    <title>";
  body += reason;
  body += "</title>\n  </head>\n  <body>\n    <h1><p>";
  body += reason;
  body += "</p></h1>\n    ";
  body += html_escape(message);
  body += "\n  </body>\n</html>\n";

  std::string out;
  out.reserve(body.size() + 100 + reason.size());
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += reason;
  out += "\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n\r\n";
  out += body;
  return out;
}

std::string error_page_message(std::string_view error_class, std::string_view detail) {
  const std::string d(detail);
  if (error_class == "InvalidRequestLine") return "Invalid Request Line '" + d + "'";
  if (error_class == "InvalidRequestMethod") return "Invalid Method '" + d + "'";
  if (error_class == "InvalidHTTPVersion") return "Invalid HTTP Version '" + d + "'";
  if (error_class == "LimitRequestHeaders") return "Error parsing headers: '" + d + "'";
  if (error_class == "InvalidProxyLine") return "'" + d + "'";
  if (error_class == "ForbiddenProxyRequest") return "Request forbidden";
  return d;
}

std::string error_response_for(int status, std::string_view error_class, std::string_view detail) {
  return error_response(status, reason_phrase(status), error_page_message(error_class, detail));
}

std::string_view http_date_now() {
  // One cache per thread: no lock, and the view stays valid until this
  // thread's next call in a later second.
  thread_local std::time_t cached_second = -1;
  thread_local char text[32];
  thread_local std::size_t len = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    // Formatted by hand: strftime's %a/%b follow the locale.
    static constexpr char kDays[] = "SunMonTueWedThuFriSat";
    static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char* p = text;
    std::memcpy(p, kDays + 3 * tm.tm_wday, 3);
    p[3] = ',';
    p[4] = ' ';
    put2(p + 5, tm.tm_mday);
    p[7] = ' ';
    std::memcpy(p + 8, kMonths + 3 * tm.tm_mon, 3);
    p[11] = ' ';
    const int year = tm.tm_year + 1900;
    put2(p + 12, year / 100 % 100);
    put2(p + 14, year % 100);
    p[16] = ' ';
    put2(p + 17, tm.tm_hour);
    p[19] = ':';
    put2(p + 20, tm.tm_min);
    p[22] = ':';
    put2(p + 23, tm.tm_sec);
    std::memcpy(p + 25, " GMT", 4);
    len = 29;
    cached_second = now;
  }
  return {text, len};
}

}  // namespace gpp::core::http
