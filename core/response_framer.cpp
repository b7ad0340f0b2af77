#include "core/response_framer.hpp"

#include <charconv>

#include "core/http/response.hpp"

namespace gpp::core {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

void ResponseFramer::reset(std::string_view method, int version_major, int version_minor,
                           bool request_close) {
  method_.assign(method);
  major_ = version_major;
  minor_ = version_minor;
  request_close_ = request_close;
  must_close_ = false;
  status_.clear();
  status_code_ = 0;
  headers_.clear();
  length_.reset();
  chunked_ = upgrade_ = omits_body_ = head_sent_ = false;
  sent_ = 0;
}

std::optional<std::string> ResponseFramer::start(
    std::string_view status, std::vector<std::pair<std::string, std::string>> headers) {
  if (!http::valid_status(status)) return "Invalid status: '" + std::string(status) + "'";
  status_code_ = 0;
  std::from_chars(status.data(), status.data() + 3, status_code_);
  std::vector<std::pair<std::string, std::string>> kept;
  kept.reserve(headers.size());
  length_.reset();
  upgrade_ = false;
  for (auto& [name, raw_value] : headers) {
    if (!http::valid_header_name(name)) return "Invalid HTTP Header name: '" + name + "'";
    if (!http::valid_header_value(raw_value)) return "Invalid HTTP Header: '" + raw_value + "'";
    std::string_view value = trim(raw_value);
    if (iequals(name, "content-length")) {
      std::uint64_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size() || value.empty())
        return "invalid literal for int() with base 10: '" + std::string(value) + "'";
      length_ = n;
    } else if (http::is_hop_by_hop(name)) {
      if (iequals(name, "connection")) {
        if (iequals(value, "upgrade")) upgrade_ = true;
      } else if (iequals(name, "upgrade") && iequals(value, "websocket")) {
        kept.emplace_back(std::move(name), std::string(value));
      }
      continue;
    }
    kept.emplace_back(std::move(name), std::string(value));
  }
  status_.assign(status);
  omits_body_ = method_ == "HEAD" || status_code_ == 204 || status_code_ == 304 ||
                (status_code_ >= 100 && status_code_ < 200);
  if (omits_body_ && (status_code_ == 204 || (status_code_ >= 100 && status_code_ < 200))) {
    std::erase_if(kept, [](const auto& h) { return iequals(h.first, "content-length"); });
    length_.reset();
  }
  headers_ = std::move(kept);
  chunked_ = !length_ && (major_ > 1 || (major_ == 1 && minor_ >= 1)) && !omits_body_;
  return std::nullopt;
}

bool ResponseFramer::should_close() const noexcept {
  if (must_close_ || request_close_) return true;
  if (length_ || chunked_) return false;
  if (method_ == "HEAD") return false;
  if (status_code_ < 200 || status_code_ == 204 || status_code_ == 304) return false;
  return true;
}

std::string ResponseFramer::take_head(std::string_view server_name) {
  if (head_sent_) return {};
  head_sent_ = true;
  std::string out;
  out.reserve(256);
  out += "HTTP/";
  out += std::to_string(major_);
  out += '.';
  out += std::to_string(minor_);
  out += ' ';
  out += status_;
  // A bare code ("200") gets the SP that RFC 9112's status-line requires
  // before the (empty) reason; gunicorn writes "HTTP/1.1 200" without it.
  if (status_.size() == 3) out += ' ';
  out += "\r\nServer: ";
  out += server_name;
  out += "\r\nDate: ";
  out += http::http_date_now();
  out += "\r\nConnection: ";
  out += upgrade_ ? "upgrade" : (should_close() ? "close" : "keep-alive");
  out += "\r\n";
  if (chunked_) out += "Transfer-Encoding: chunked\r\n";
  for (const auto& [k, v] : headers_) {
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

void ResponseFramer::frame_body(std::string_view data, std::string& out) {
  if (omits_body_) return;
  if (length_) {
    if (sent_ >= *length_) return;
    if (data.size() > *length_ - sent_) data = data.substr(0, *length_ - sent_);
  }
  if (data.empty()) return;  // an empty chunk would end a chunked body early
  sent_ += data.size();
  if (chunked_) {
    char hex[20];
    auto [p, ec] = std::to_chars(hex, hex + sizeof hex, data.size(), 16);
    (void)ec;
    for (char* c = hex; c < p; ++c)
      if (*c >= 'a' && *c <= 'f') *c = static_cast<char>(*c - 32);
    out.append(hex, p);
    out += "\r\n";
    out.append(data);
    out += "\r\n";
  } else {
    out.append(data);
  }
}

std::string_view ResponseFramer::finish_bytes() const noexcept {
  return chunked_ ? std::string_view("0\r\n\r\n") : std::string_view();
}

}  // namespace gpp::core
