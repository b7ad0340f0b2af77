#pragma once
// Response framing as gunicorn's http/wsgi.py Response: status line in the
// request's HTTP version, Server/Date/Connection added, hop-by-hop headers
// from the app dropped, chunked iff HTTP/1.1 without Content-Length and a body
// is allowed, no body for HEAD/1xx/204/304, never more than Content-Length.
// Pure: it produces bytes, the caller writes them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gpp::core {

class ResponseFramer {
 public:
  /// Start a response to a request. `request_close`: the request asked to close
  /// (or the worker class always closes, as sync does).
  void reset(std::string_view method, int version_major, int version_minor, bool request_close);

  /// Record status and headers from start_response. Returns an error text
  /// (gunicorn's exception message) when a name/value/status is invalid.
  std::optional<std::string> start(std::string_view status,
                                   std::vector<std::pair<std::string, std::string>> headers);

  /// The head bytes, once; later calls return an empty string.
  std::string take_head(std::string_view server_name);
  /// Append `data` framed for the wire (chunk header, CL truncation, dropped for no-body).
  void frame_body(std::string_view data, std::string& out);
  /// Bytes that end the body ("0\r\n\r\n" when chunked).
  [[nodiscard]] std::string_view finish_bytes() const noexcept;

  /// Count body bytes that went out without frame_body (sendfile); the
  /// caller wrote any chunk framing itself.
  void note_body_sent(std::uint64_t n) noexcept { sent_ += n; }

  void force_close() noexcept { must_close_ = true; }
  [[nodiscard]] bool should_close() const noexcept;
  [[nodiscard]] bool started() const noexcept { return !status_.empty(); }
  [[nodiscard]] bool head_sent() const noexcept { return head_sent_; }
  [[nodiscard]] bool chunked() const noexcept { return chunked_; }
  [[nodiscard]] bool omits_body() const noexcept { return omits_body_; }
  [[nodiscard]] int status_code() const noexcept { return status_code_; }
  [[nodiscard]] std::uint64_t body_bytes_sent() const noexcept { return sent_; }
  [[nodiscard]] const std::optional<std::uint64_t>& content_length() const noexcept { return length_; }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& headers() const noexcept { return headers_; }
  [[nodiscard]] std::string_view status() const noexcept { return status_; }

 private:
  std::string method_;
  int major_ = 1, minor_ = 1;
  bool request_close_ = false;
  bool must_close_ = false;
  std::string status_;
  int status_code_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::optional<std::uint64_t> length_;
  bool chunked_ = false;
  bool upgrade_ = false;
  bool omits_body_ = false;
  bool head_sent_ = false;
  std::uint64_t sent_ = 0;
};

}  // namespace gpp::core
