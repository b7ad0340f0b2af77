#pragma once
// gunicorn's access_log_format, compiled once and rendered per request without
// Python: `format % SafeAtoms(atoms)` with Python's %-formatting rules for the
// conversions users write (s, r, a, d, i, u, x, X, o, e, E, f, F, g, G, c with
// flags, width and precision), unknown atoms rendering "-", and '"' inside
// string atoms escaped as '\"'. Request-derived strings are latin-1 (as the
// WSGI environ holds them) and come out UTF-8, as Python's log handlers write.
// Pure: no sockets, no files.
#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/http/request_head.hpp"

namespace gpp::core::log {

/// Looks up an environ value by lower-cased key ("remote_addr", "http_host");
/// appends its latin-1 bytes to `out` and returns true when the key exists.
using EnvironLookup = std::function<bool(std::string_view lower_key, std::string& out)>;

/// An environ value as the app left it, fetched after the app call for a
/// {var}e atom (gunicorn reads the environ dict when it logs).
struct EnvironValue {
  enum Kind : std::uint8_t { Str, Int, None, Other } kind = Str;
  std::string text;    ///< UTF-8: the str, or str() of the object (Other)
  long long num = 0;   ///< Int (bool is Other: str() gives "True")
};

/// {var}e values fetched from the app's environ: lower-cased key -> value,
/// nullopt when the environ had no such key.
using AppEnviron = std::vector<std::pair<std::string, std::optional<EnvironValue>>>;

/// Everything one access-log line may use. Views must outlive render().
struct AccessInfo {
  std::string_view remote_addr;  ///< h
  std::string_view method;       ///< m, first word of r
  std::string_view raw_uri;      ///< second word of r
  std::string_view protocol;     ///< H, third word of r ("HTTP/1.1")
  /// U: PATH_INFO bytes (percent-decoded); nullopt renders "None" (gunicorn's
  /// error path, whose environ has no PATH_INFO).
  std::optional<std::string_view> path_info;
  std::string_view query;  ///< q
  /// The status line the app gave ("200 OK"); s is its first word. Empty
  /// renders "None" (gunicorn 26.1 when the app never called start_response).
  std::string_view status;
  std::uint64_t body_bytes = 0;  ///< b, B (body bytes sent)
  const std::vector<http::Header>* request_headers = nullptr;                       ///< {x}i
  const std::vector<std::pair<std::string, std::string>>* response_headers = nullptr;  ///< {x}o
  std::int64_t duration_us = 0;  ///< T, D, M, L
  std::time_t now = 0;           ///< t (local time)
  long pid = 0;                  ///< p
  EnvironLookup environ;         ///< {x}e, and f/a/u (HTTP_REFERER, HTTP_USER_AGENT, HTTP_AUTHORIZATION)
  /// {x}e keys fetched from the app's environ; these win over `environ`.
  const AppEnviron* app_environ = nullptr;
};

class AccessLogFormat {
 public:
  /// gunicorn's default access_log_format.
  static constexpr std::string_view kDefault =
      R"(%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s")";

  /// Compile `format`. On a format Python would reject (e.g. "100%", a
  /// keyless "%s", "%(x)*d") returns nullopt and sets `error`.
  static std::optional<AccessLogFormat> compile(std::string_view format, std::string* error = nullptr);

  /// Append one line (no newline) to `out`. Returns false, leaving `out` as it
  /// was, when a conversion fails as Python's would (e.g. %(h)d): gunicorn
  /// then logs nothing for that request.
  bool render(const AccessInfo& info, std::string& out) const;

  /// True when some atom needs the environ lookup (callers may skip building it).
  [[nodiscard]] bool uses_environ() const noexcept { return uses_environ_; }
  /// The lower-cased names of the {x}e atoms, each once, in format order.
  [[nodiscard]] std::vector<std::string> environ_keys() const;

  enum class Atom : std::uint8_t {
    h, l, u, t, r, s, m, U, q, H, b, B, f, a, T, D, M, L, p,
    RequestHeader, ResponseHeader, Environ, Unknown, Literal
  };
  struct Spec {
    std::string flags;
    int width = -1;
    int precision = -1;
    char conversion = 's';
  };
  struct Segment {
    Atom atom = Atom::Literal;
    std::string text;  ///< literal bytes, or the lower-cased name inside {..}
    Spec spec;
  };

 private:
  std::vector<Segment> segments_;
  bool uses_environ_ = false;
};

/// The user name of a "Basic" Authorization value (gunicorn's _get_user), or nullopt.
[[nodiscard]] std::optional<std::string> basic_auth_user(std::string_view authorization);

}  // namespace gpp::core::log
