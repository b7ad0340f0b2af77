// One connection = one coroutine on the I/O thread: wait (no buffer) -> read
// the head -> 100-continue -> read the body -> hand the request to the runner
// -> wait for it -> next (pipelined) request or idle keep-alive or close.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/http/chunked_decoder.hpp"
#include "core/http/response.hpp"
#include "core/log/error_log.hpp"
#include "workers/access_log.hpp"
#include "workers/engine/engine_state.hpp"
#include "workers/readiness.hpp"
#include "workers/request_metrics.hpp"

namespace gpp::workers::engine {
namespace {

constexpr std::size_t kReadSize = 16384;
constexpr long kWouldBlock = -2;
using Wait = asio::posix::descriptor_base::wait_type;

/// Append what the socket has (up to `max`) to `out`: bytes read, 0 at EOF,
/// -1 on error, kWouldBlock when nothing is there. Reads into a scratch area
/// of the I/O thread first: growing `out` by `max` would zero-fill it on
/// every read (it showed as 17% of the worker's instructions).
long read_into(int fd, std::string& out, std::size_t max) {
  static thread_local char scratch[kReadSize * 4];
  ssize_t n;
  do {
    n = ::recv(fd, scratch, std::min(max, sizeof scratch), MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n > 0) out.append(scratch, static_cast<std::size_t>(n));
  if (n >= 0) return n;
  return (errno == EAGAIN || errno == EWOULDBLOCK) ? kWouldBlock : -1;
}

/// Wait for the socket, bounded by `list`'s timeout. False: timed out, stopped or failed.
asio::awaitable<bool> wait_io(Connection& c, DeadlineList& list, Wait what) {
  list.push(c, Clock::now());
  boost::system::error_code ec;
  co_await c.sock.async_wait(what, asio::redirect_error(asio::use_awaitable, ec));
  list.erase(c);
  co_return !ec;
}

asio::awaitable<long> read_some(Connection& c, std::string& out, std::size_t max) {
  for (;;) {
    long n = read_into(c.sock.native_handle(), out, max);
    if (n != kWouldBlock) co_return n;
    if (!co_await wait_io(c, c.engine.reading, Wait::wait_read)) co_return -1;
  }
}

asio::awaitable<bool> write_all(Connection& c, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t w = ::send(c.sock.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(w));
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!co_await wait_io(c, c.engine.reading, Wait::wait_write)) co_return false;
    } else {
      co_return false;
    }
  }
  co_return true;
}

asio::awaitable<void> send_error(Connection& c, int status, const std::string& cls,
                                 const std::string& detail) {
  co_await write_all(c, core::http::error_response_for(status, cls, detail));
}

/// The PROXY header at the start of a connection. False: rejected or gone.
asio::awaitable<bool> read_proxy(Connection& c, RequestState& rs) {
  EngineState& e = c.engine;
  bool allowed = c.peer.unix_socket || e.proxy_allow.allows(c.peer.addr);
  for (;;) {
    auto r = core::http::parse_proxy_header(rs.buf, e.proxy_mode, allowed);
    if (r.status == core::http::ProxyStatus::Complete) {
      if (r.present) c.proxy = std::make_unique<core::http::ProxyInfo>(r.info);
      rs.buf.erase(0, r.consumed);
      co_return true;
    }
    if (r.status == core::http::ProxyStatus::Error) {
      core::log::debug("Invalid PROXY header: " + r.error_class + ": " + r.error_detail);
      co_await send_error(c, r.http_status, r.error_class, r.error_detail);
      co_return false;
    }
    if (co_await read_some(c, rs.buf, kReadSize) <= 0) co_return false;
  }
}

/// Read the body into rs.body. Returns the end of this request in rs.buf
/// (npos: a chunked body; the bytes after it are in rs.carry), or nullopt to close.
asio::awaitable<std::optional<std::size_t>> read_body(Connection& c, RequestState& rs, std::size_t pos) {
  rs.body.clear();
  rs.carry.clear();
  if (rs.head.framing == core::http::Framing::ContentLength) {
    std::uint64_t want = rs.head.content_length;
    std::uint64_t have = std::min<std::uint64_t>(want, rs.buf.size() - pos);
    if (!rs.body.append(std::string_view(rs.buf).substr(pos, have))) co_return std::nullopt;
    pos += have;
    std::string chunk;
    while (rs.body.size() < want) {
      chunk.clear();
      long n = co_await read_some(c, chunk, std::min<std::uint64_t>(kReadSize * 4, want - rs.body.size()));
      if (n <= 0 || !rs.body.append(chunk)) co_return std::nullopt;
    }
    co_return pos;
  }
  if (rs.head.framing != core::http::Framing::Chunked) co_return pos;
  core::http::ChunkedDecoder decoder(c.engine.parser);
  std::string decoded;
  std::string incoming = rs.buf.substr(pos);
  for (;;) {
    decoded.clear();
    auto r = decoder.feed(incoming, decoded);
    if (!rs.body.append(decoded)) co_return std::nullopt;
    if (r.status == core::http::ChunkedDecoder::Status::Done) {
      rs.carry.assign(incoming, r.consumed);
      co_return std::string::npos;
    }
    if (r.status == core::http::ChunkedDecoder::Status::NeedMore) {
      incoming.erase(0, r.consumed);
      if (co_await read_some(c, incoming, kReadSize) > 0) continue;
      r = decoder.at_eof();
    }
    co_await send_error(c, r.http_status ? r.http_status : 400, r.error_class, r.error_detail);
    co_return std::nullopt;
  }
}

/// Hand the request to the runner and wait for it. True: keep the connection.
asio::awaitable<bool> dispatch(Connection& c, RequestState& rs) {
  EngineState& e = c.engine;
  ++e.requests;
  bool force_close = !e.keepalive_on || e.stopping || e.idle.size() >= e.opts.max_keepalived;
  if (e.max_requests > 0 && e.requests >= e.max_requests && !e.retire_requested) {
    if (!e.stopping) {
      core::log::info("Autorestarting worker after current request.");
      request_metrics::mark_exit(core::metrics::ExitReason::MaxRequests);
    }
    e.retire_requested = true;
    force_close = true;  // this connection closes after the response, as gunicorn
    // Surge-first: serve on until the arbiter, with a ready replacement,
    // sends TERM (the usual drain); without its channel, stop now.
    if (!request_retire()) e.begin_stop();
  }
  Exchange& ex = rs.ex;
  py::RequestContext& rc = ex.request;
  rc.head = &rs.head;
  rc.body = &rs.body;
  rc.server = &e.servers[c.listener];
  rc.remote_addr = c.peer.addr;
  rc.remote_port = c.peer.port;
  rc.url_scheme = url_scheme_for(rs.head, c.trusted, *e.ctx.cfg);
  rc.proxy = c.proxy.get();
  rc.client_fd = c.sock.native_handle();
  if (!e.opts.cooperative_socket && !c.app_blocking) {
    // gunicorn.socket is blocking on gthread (gunicorn sets it so while the
    // app runs). Asio made the fd non-blocking at its first wait and never
    // looks again; our own reads and writes pass MSG_DONTWAIT. Once per
    // connection: F_SETFL ignores the access mode, so this clears O_NONBLOCK.
    ::fcntl(rc.client_fd, F_SETFL, O_RDWR);
    c.app_blocking = true;
  }
  rc.client_family = c.peer.family;
  rc.log_environ_keys = app_environ_keys();
  rc.connection_socket = e.opts.cooperative_socket ? &c.app_socket : nullptr;
  ex.framer.reset(rs.head.method, rs.head.version_major, rs.head.version_minor,
                  !rs.head.keep_alive || force_close);
  ex.fd = c.sock.native_handle();
  ex.io_timeout_ms = e.io_timeout_ms;
  ex.result = py::CallResult::Ok;
  ex.owner = &rs;
  request_metrics::InFlight in_flight;  // this coroutine runs on the I/O thread only
  e.runner->start(ex);
  boost::system::error_code ec;
  co_await rs.done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return ex.result == py::CallResult::Ok && !ex.framer.should_close();
}

/// The request(s) in the connection's buffer, pipelined ones included, until
/// it is empty (true: wait for the next one) or the connection must close.
/// Its frame, with the parse state, exists only while bytes are being served:
/// an idle connection holds serve_connection's small frame alone.
asio::awaitable<bool> serve_buffered(Connection& c, bool& first) {
  EngineState& e = c.engine;
  for (;;) {
    RequestState& rs = *c.rs;
    if (first && e.proxy_mode != core::http::ProxyMode::Off && !co_await read_proxy(c, rs)) co_return false;
    first = false;

    core::http::ParseResult pr;
    for (;;) {
      rs.head.clear();
      pr = core::http::parse_request_head(rs.buf, e.parser, c.trusted, rs.head);
      if (pr.status != core::http::ParseStatus::NeedMore) break;
      if (co_await read_some(c, rs.buf, kReadSize) <= 0) co_return false;  // NoMoreData: close silently
    }
    if (pr.status == core::http::ParseStatus::Error) {
      core::log::debug("Invalid request from fd " + std::to_string(c.sock.native_handle()) + ": " +
                       pr.error_class + ": " + pr.error_detail);
      co_await send_error(c, pr.http_status, pr.error_class, pr.error_detail);
      co_return false;
    }
    if (rs.head.expect_continue && !co_await write_all(c, "HTTP/1.1 100 Continue\r\n\r\n")) co_return false;
    auto end = co_await read_body(c, rs, pr.consumed);
    if (!end) co_return false;
    if (!co_await dispatch(c, rs)) co_return false;

    // Keep-alive: the next request may already be here (pipelining).
    rs.head.clear();
    if (*end == std::string::npos) {
      rs.buf.swap(rs.carry);
    } else {
      rs.buf.erase(0, *end);
    }
    if (rs.buf.empty()) {
      e.give_state(std::move(c.rs));
      co_return true;
    }
  }
}

}  // namespace

Connection::Connection(EngineState& e, int fd, std::size_t listener_index)
    : engine(e), sock(e.io, fd), listener(listener_index), peer(peer_of(fd)) {
  trusted = peer_trusted(peer, *e.ctx.cfg);
  if (!peer.unix_socket) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ++e.connections;
}

Connection::~Connection() {
  if (list) list->erase(*this);
  // Before the fd closes: the socket object must not keep its number. (Only
  // the coro worker keeps one, and its I/O thread holds the GIL.)
  py::release_connection_socket(app_socket);
  boost::system::error_code ec;
  sock.close(ec);
  if (engine.tearing_down) return;
  if (rs) engine.give_state(std::move(rs));
  engine.connection_closed();
}

asio::awaitable<void> serve_connection(std::unique_ptr<Connection> conn) {
  Connection& c = *conn;
  EngineState& e = c.engine;
  bool first = true;
  bool may_wait = true;  ///< false once a wait timed out or was cancelled
  try {
    for (;;) {
      if (!c.rs) {
        // Read before waiting: the next request is often here already (a
        // loaded client answers while the engine finishes other work), and
        // the wait's epoll_ctl re-arm plus an extra epoll round cost more
        // than a recv that comes back empty.
        c.rs = e.take_state();
        long n = read_into(c.sock.native_handle(), c.rs->buf, kReadSize);
        if (n == kWouldBlock) {
          e.give_state(std::move(c.rs));
          if (!may_wait) co_return;
          // Idle: no buffer until bytes arrive. A stopping worker waits too:
          // a request arriving before the `keepalive` deadline (capped by
          // graceful_timeout, begin_stop) is served with Connection: close
          // (dispatch), also on a connection whose last response, written
          // before the stop, promised keep-alive; a fresh one waits for its
          // first request within `fresh`'s clamped deadline. The wait is
          // written out here rather than through wait_io(): one coroutine
          // frame less for each of 10,000 idle connections.
          DeadlineList& list = first ? e.fresh : e.idle;
          list.push(c, Clock::now());
          boost::system::error_code ec;
          co_await c.sock.async_wait(Wait::wait_read, asio::redirect_error(asio::use_awaitable, ec));
          list.erase(c);
          may_wait = !ec;  // timed out or stopped: one more read, then close
          continue;
        }
        if (n <= 0) co_return;
        may_wait = true;
      }
      if (!co_await serve_buffered(c, first)) co_return;
    }
  } catch (const std::exception& ex) {
    core::log::debug(std::string("Connection error: ") + ex.what());
  }
}

}  // namespace gpp::workers::engine
