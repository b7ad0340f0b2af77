#pragma once
// Private to workers/engine: the state shared by the acceptor, the
// connection coroutines and the loop's housekeeping. I/O thread only,
// except where a member says otherwise.
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/http/proxy_protocol.hpp"
#include "core/http/request_head.hpp"
#include "core/http/request_parser.hpp"
#include "core/ip_allowlist.hpp"
#include "core/request_body.hpp"
#include "workers/asio.hpp"
#include "workers/engine/engine.hpp"
#include "workers/peer.hpp"

namespace gpp::workers::engine {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct Connection;

/// Connections waiting with the same timeout, oldest deadline first (an
/// intrusive list: O(1) push/erase, expiry scans only the expired head).
class DeadlineList {
 public:
  explicit DeadlineList(Clock::duration timeout) : timeout_(timeout) {}
  void push(Connection& c, Clock::time_point now) noexcept;
  void erase(Connection& c) noexcept;
  /// Cancel the waits of connections whose deadline has passed (and unlink them).
  void expire(Clock::time_point now) noexcept;
  /// Cancel every wait (and unlink).
  void cancel_all() noexcept;
  /// No deadline later than `limit` from now on, for waiting and future
  /// connections (a stopping worker's short grace for fresh connections).
  void clamp(Clock::time_point limit) noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  Clock::duration timeout_;
  Clock::time_point cap_ = Clock::time_point::max();
  Connection* head_ = nullptr;
  Connection* tail_ = nullptr;
  std::size_t size_ = 0;
};

/// What a connection needs only while it has bytes to work on: the read
/// buffer, the parsed head, the body and the exchange. Pooled per engine.
struct RequestState {
  explicit RequestState(asio::io_context& io) : done(io, asio::steady_timer::time_point::max()) {}
  std::string buf;    ///< head bytes and what followed them (views in `head` point here)
  std::string carry;  ///< bytes after a chunked body (the next pipelined request)
  core::http::RequestHead head;
  core::RequestBody body;
  Exchange ex;
  asio::steady_timer done;  ///< used as an event: cancelled when the runner finishes
};

struct Connection {
  Connection(EngineState& e, int fd, std::size_t listener_index);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  EngineState& engine;
  asio::posix::stream_descriptor sock;
  std::size_t listener;
  Peer peer;
  bool trusted = false;
  bool app_blocking = false;  ///< O_NONBLOCK cleared for gunicorn.socket (once, see dispatch)
  void* app_socket = nullptr;  ///< coro+gevent: gunicorn.socket kept between requests (python_shim's)
  std::unique_ptr<core::http::ProxyInfo> proxy;  ///< PROXY header of this connection
  std::unique_ptr<RequestState> rs;              ///< null while idle

  // DeadlineList hook
  DeadlineList* list = nullptr;
  Connection* prev = nullptr;
  Connection* next = nullptr;
  Clock::time_point deadline;
};

struct EngineState {
  EngineState(WorkerContext& c, WorkerFlags& f, const EngineOptions& o);
  /// Destroys the I/O objects, then the io_context (and with it the suspended
  /// connection coroutines) while everything they touch still exists.
  ~EngineState();

  WorkerContext& ctx;
  WorkerFlags& flags;
  EngineOptions opts;
  AppRunner* runner = nullptr;

  core::http::ParserOptions parser;
  core::http::ProxyMode proxy_mode = core::http::ProxyMode::Off;
  core::IpAllowlist proxy_allow;
  std::vector<py::ServerInfo> servers;  ///< one per listener
  int io_timeout_ms = 30000;
  bool keepalive_on = true;
  std::size_t worker_connections = 1000;
  long max_requests = 0;
  Clock::duration graceful{std::chrono::seconds(30)};

  DeadlineList fresh;    ///< new connections waiting for their first bytes
  DeadlineList idle;     ///< keep-alive connections between requests
  DeadlineList reading;  ///< mid-request reads/writes (bounded by `timeout`)

  std::size_t connections = 0;
  long requests = 0;
  bool retire_requested = false;  ///< max_requests reached (workers/readiness.hpp)
  bool stopping = false;
  Clock::time_point stop_deadline;

  std::vector<std::unique_ptr<asio::posix::stream_descriptor>> listeners;
  std::optional<asio::steady_timer> gate;  ///< accept back-pressure event
  std::optional<asio::steady_timer> ticker;
  std::optional<asio::posix::stream_descriptor> wake;
  std::vector<std::unique_ptr<RequestState>> spare;
  bool tearing_down = false;
  bool quick = false;  ///< a quick exit (QUIT/INT) ended the loop

  /// Declared last: destroyed first (see ~EngineState).
  asio::io_context io{1};

  std::unique_ptr<RequestState> take_state();
  void give_state(std::unique_ptr<RequestState> rs);
  /// Graceful stop (idempotent).
  void begin_stop();
  void connection_closed();
};

/// Run one accepted connection until it closes (owns it).
asio::awaitable<void> serve_connection(std::unique_ptr<Connection> conn);

}  // namespace gpp::workers::engine
