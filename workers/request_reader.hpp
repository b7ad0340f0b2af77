#pragma once
// Reads one complete request (head and whole body) from a blocking socket
// into C++ buffers, answering Expect: 100-continue and parse errors itself.
#include <optional>
#include <string>

#include "core/http/request_head.hpp"
#include "core/http/proxy_protocol.hpp"
#include "core/http/request_parser.hpp"
#include "core/request_body.hpp"

namespace gpp::workers {

struct ReadRequest {
  std::string buffer;              ///< head bytes (RequestHead views point here) + any excess
  core::http::RequestHead head;
  core::RequestBody body;
  std::size_t consumed = 0;        ///< bytes of `buffer` that belonged to this request
};

enum class ReadOutcome {
  Ok,
  Closed,     ///< client closed or timed out before a complete request: close silently
  Rejected,   ///< parse error: an error response was sent; close
};

/// Read a request from `fd` (which may already have bytes in `req.buffer`).
ReadOutcome read_request(int fd, const core::http::ParserOptions& opts, bool peer_trusted,
                         int timeout_ms, ReadRequest& req);

/// Read and strip a PROXY protocol header from the start of a connection
/// (`req.buffer` keeps the bytes after it). Ok with `info` unset when none was sent.
ReadOutcome read_proxy_header(int fd, core::http::ProxyMode mode, bool peer_allowed, int timeout_ms,
                              ReadRequest& req, std::optional<core::http::ProxyInfo>& info,
                              std::string_view peer_host = {});

/// Send gunicorn's error page for a rejected request (handle_error's message for `error_class`).
void send_error(int fd, int status, const std::string& error_class, const std::string& detail,
                int timeout_ms);

}  // namespace gpp::workers
