#pragma once
// Response-side helpers: validation against response splitting, hop-by-hop
// filtering, and gunicorn's small HTML error responses (util.write_error).
#include <string>
#include <string_view>

namespace gpp::core::http {

/// "200 OK" style WSGI status: 3 digits, then nothing ("200", accepted as
/// gunicorn does) or a space and a reason without CR/LF/CTL.
[[nodiscard]] bool valid_status(std::string_view status) noexcept;
[[nodiscard]] bool valid_header_name(std::string_view name) noexcept;   ///< RFC 9110 token
[[nodiscard]] bool valid_header_value(std::string_view value) noexcept; ///< no CR, LF, NUL
/// gunicorn's hop_headers (util.is_hoppish, case-insensitive, name stripped):
/// Connection, Keep-Alive, Proxy-Authenticate, Proxy-Authorization, TE,
/// Trailers, Transfer-Encoding, Upgrade, plus Server and Date (the server sets its own).
[[nodiscard]] bool is_hop_by_hop(std::string_view name) noexcept;
/// Reason phrase for a status code ("Bad Request"), "Unknown" when none.
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;
/// Bytes of gunicorn's error page: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n..."
[[nodiscard]] std::string error_response(int status, std::string_view reason, std::string_view message);
/// The HTML message gunicorn's Worker.handle_error puts on the error page for
/// a parse error (e.g. "Invalid Method '<detail>'"); `detail` is str(exc)
/// (ParseResult::error_detail). Escaped by error_response.
[[nodiscard]] std::string error_page_message(std::string_view error_class, std::string_view detail);
/// error_response(status, reason_phrase(status), error_page_message(cls, detail)).
[[nodiscard]] std::string error_response_for(int status, std::string_view error_class,
                                             std::string_view detail);
/// IMF-fixdate for the Date header (RFC 9110 §5.6.7), e.g. "Sun, 06 Nov 1994
/// 08:49:37 GMT". Cached per second per thread (thread-safe without locks);
/// the view stays valid until the calling thread calls again.
[[nodiscard]] std::string_view http_date_now();

}  // namespace gpp::core::http
