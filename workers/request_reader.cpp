#include "workers/request_reader.hpp"

#include "core/http/chunked_decoder.hpp"
#include "core/http/response.hpp"
#include "core/log/error_log.hpp"
#include "workers/blocking_io.hpp"

namespace gpp::workers {
namespace {

constexpr std::size_t kReadSize = 16384;

}  // namespace

void send_error(int fd, int status, const std::string& error_class, const std::string& detail,
                int timeout_ms) {
  write_all(fd, core::http::error_response_for(status, error_class, detail), timeout_ms);
}

ReadOutcome read_proxy_header(int fd, core::http::ProxyMode mode, bool peer_allowed, int timeout_ms,
                              ReadRequest& req, std::optional<core::http::ProxyInfo>& info,
                              std::string_view peer_host) {
  using core::http::ProxyStatus;
  for (;;) {
    auto r = core::http::parse_proxy_header(req.buffer, mode, peer_allowed, peer_host);
    if (r.status == ProxyStatus::Complete) {
      if (r.present) info = r.info;
      req.buffer.erase(0, r.consumed);
      return ReadOutcome::Ok;
    }
    if (r.status == ProxyStatus::Error) {
      core::log::debug("Invalid PROXY header: " + r.error_class + ": " + r.error_detail);
      send_error(fd, r.http_status, r.error_class, r.error_detail, timeout_ms);
      return ReadOutcome::Rejected;
    }
    if (read_some(fd, req.buffer, kReadSize, timeout_ms) <= 0) return ReadOutcome::Closed;
  }
}

ReadOutcome read_request(int fd, const core::http::ParserOptions& opts, bool peer_trusted,
                         int timeout_ms, ReadRequest& req) {
  using core::http::ParseStatus;
  core::http::ParseResult pr;
  for (;;) {
    req.head.clear();
    pr = core::http::parse_request_head(req.buffer, opts, peer_trusted, req.head);
    if (pr.status != ParseStatus::NeedMore) break;
    long n = read_some(fd, req.buffer, kReadSize, timeout_ms);
    if (n <= 0) return ReadOutcome::Closed;  // NoMoreData: gunicorn closes silently
  }
  if (pr.status == ParseStatus::Error) {
    core::log::debug("Invalid request from fd " + std::to_string(fd) + ": " + pr.error_class + ": " +
                     pr.error_detail);
    send_error(fd, pr.http_status, pr.error_class, pr.error_detail, timeout_ms);
    return ReadOutcome::Rejected;
  }
  std::size_t pos = pr.consumed;
  if (req.head.expect_continue) {
    if (!write_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", timeout_ms)) return ReadOutcome::Closed;
  }
  req.body.clear();
  if (req.head.framing == core::http::Framing::ContentLength) {
    std::uint64_t want = req.head.content_length;
    std::uint64_t have = std::min<std::uint64_t>(want, req.buffer.size() - pos);
    req.body.append(std::string_view(req.buffer).substr(pos, have));
    pos += have;
    std::string chunk;
    while (req.body.size() < want) {
      chunk.clear();
      long n = read_some(fd, chunk, std::min<std::uint64_t>(kReadSize * 4, want - req.body.size()),
                         timeout_ms);
      if (n <= 0) return ReadOutcome::Closed;
      req.body.append(chunk);
    }
  } else if (req.head.framing == core::http::Framing::Chunked) {
    core::http::ChunkedDecoder decoder(opts);  // trailer limits and header_map apply
    std::string decoded;
    std::string incoming = req.buffer.substr(pos);
    pos = req.buffer.size();
    for (;;) {
      decoded.clear();
      auto r = decoder.feed(incoming, decoded);
      req.body.append(decoded);
      if (r.status == core::http::ChunkedDecoder::Status::Error) {
        send_error(fd, r.http_status ? r.http_status : 400, r.error_class, r.error_detail, timeout_ms);
        return ReadOutcome::Rejected;
      }
      if (r.status == core::http::ChunkedDecoder::Status::Done) {
        // Bytes after the terminator (a pipelined request) are dropped: the
        // sync worker closes after one response. Appending them to `buffer`
        // would invalidate the head's views.
        req.consumed = req.buffer.size();
        return ReadOutcome::Ok;
      }
      incoming.erase(0, r.consumed);
      long n = read_some(fd, incoming, kReadSize, timeout_ms);
      if (n <= 0) {
        auto eof = decoder.at_eof();  // gunicorn's class for a body cut short
        send_error(fd, eof.http_status ? eof.http_status : 400, eof.error_class, eof.error_detail, timeout_ms);
        return ReadOutcome::Rejected;
      }
    }
  }
  req.consumed = pos;
  return ReadOutcome::Ok;
}

}  // namespace gpp::workers
