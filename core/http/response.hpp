#pragma once
// Response-side helpers: validation against response splitting, hop-by-hop
// filtering, and gunicorn's small HTML error responses (util.write_error).
#include <string>
#include <string_view>

namespace gpp::core::http {

/// "200 OK" style WSGI status: 3 digits, a space, reason without CR/LF/CTL.
[[nodiscard]] bool valid_status(std::string_view status) noexcept;
[[nodiscard]] bool valid_header_name(std::string_view name) noexcept;   ///< RFC 9110 token
[[nodiscard]] bool valid_header_value(std::string_view value) noexcept; ///< no CR, LF, NUL
/// Connection, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade (gunicorn's list).
[[nodiscard]] bool is_hop_by_hop(std::string_view name) noexcept;
/// Reason phrase for a status code ("Bad Request"), "Unknown" when none.
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;
/// Bytes of gunicorn's error page: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n..."
[[nodiscard]] std::string error_response(int status, std::string_view reason, std::string_view message);
/// IMF-fixdate for the Date header (RFC 9110 §5.6.7), cached per second.
[[nodiscard]] std::string_view http_date_now();

}  // namespace gpp::core::http
