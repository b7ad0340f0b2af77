#pragma once
// The WSGI bridge the workers call: load the app, run one request through it.
// Plain C++ types only; the Python objects live in wsgi_app.cpp.
#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/proxy_protocol.hpp"
#include "core/http/request_head.hpp"
#include "core/log/access_log_format.hpp"
#include "core/request_body.hpp"
#include "core/response_framer.hpp"

namespace gpp::py {

/// Loading the app failed. exit_code is gunicorn's: 4 (APP_LOAD_ERROR) when
/// the module imported but the app is missing/unusable, 3 (WORKER_BOOT_ERROR)
/// for anything else (e.g. the module does not import). what() is the line
/// gunicorn prints; the traceback has been logged.
struct AppLoadError : std::runtime_error {
  AppLoadError(const std::string& msg, int code) : std::runtime_error(msg), exit_code(code) {}
  int exit_code;
};

/// Per-listener/per-worker facts that go into every environ.
struct ServerInfo {
  std::string name;          ///< SERVER_NAME for TCP listeners
  std::string port;          ///< SERVER_PORT for TCP listeners
  bool unix_socket = false;  ///< SERVER_NAME/PORT come from Host then
  bool multithread = false;   ///< wsgi.multithread: true for gthread/coro
  bool multiprocess = false;  ///< wsgi.multiprocess: workers > 1
  bool sendfile = true;       ///< Config::sendfile(): wsgi.file_wrapper may use send_file()
  /// gunicorn.socket is a gevent socket (coro worker with gevent): it waits
  /// in the hub, on the connection's non-blocking fd. Otherwise a
  /// socket.socket that reports blocking, on a blocking fd (as gunicorn's
  /// sync and gthread workers).
  bool cooperative_socket = false;
};

struct RequestContext {
  const core::http::RequestHead* head = nullptr;
  const core::RequestBody* body = nullptr;
  const ServerInfo* server = nullptr;
  std::string remote_addr;
  int remote_port = -1;              ///< -1: no REMOTE_PORT (unix socket peer)
  std::string_view url_scheme = "http";
  /// PROXY protocol header of this connection, if one was accepted.
  const core::http::ProxyInfo* proxy = nullptr;
  /// The client socket, for environ['gunicorn.socket'] (a socket object on
  /// this fd, no dup, let go of when the call returns); -1 when there is none.
  int client_fd = -1;
  /// Its address family (AF_INET, AF_INET6, AF_UNIX); 0: ask the fd.
  int client_family = 0;
  /// Where a cooperative (gevent) gunicorn.socket is kept between the
  /// requests of one connection (making one costs more than a request);
  /// the connection calls release_connection_socket() when it ends.
  /// nullptr: one socket object per request.
  void** connection_socket = nullptr;
  /// Environ keys (lower-cased) the access log wants as the app left them
  /// ({var}e atoms for keys the server does not set); nullptr: none, and
  /// call() reads nothing back.
  const std::vector<std::string>* log_environ_keys = nullptr;
  /// Filled by call() after the app ran, one entry per log_environ_keys
  /// (matched case-insensitively, as gunicorn lower-cases environ keys).
  mutable core::log::AppEnviron log_environ;
};

/// Where response bytes go. Called with the GIL released.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  /// Write all of `bytes`; false when the client has gone away.
  virtual bool write(std::string_view bytes) = 0;
  /// Write what the socket takes right now without waiting; called with the
  /// GIL held, so a response that fits the socket buffer needs no GIL hand-off
  /// (with several app threads, each hand-off is a context switch). Returns
  /// the bytes written; write() gets the rest with the GIL released. Default: 0.
  virtual std::size_t try_write(std::string_view /*bytes*/) { return 0; }
  /// Send `count` bytes of file `fd` from `offset` (wsgi.file_wrapper); false
  /// when the client has gone away or the file is shorter. The default reads
  /// blocks with pread() and passes them to write(); a socket sink overrides
  /// it with sendfile(2).
  virtual bool send_file(int fd, off_t offset, std::size_t count);
};

enum class CallResult {
  Ok,
  ClientGone,       ///< the client disconnected; the iterable was closed
  ErrorBeforeHead,  ///< app raised before the head went out: send a 500
  ErrorAfterHead,   ///< app raised after the head went out: close the connection
  /// A request-level error the bridge answered itself (gunicorn's
  /// ConfigurationProblem: "500 Bad Request" with its message): close the connection.
  ErrorResponded,
};

/// A connection kept in RequestContext::connection_socket ends: the socket
/// object lets go of the fd (it stays the worker's) and is dropped. Takes the
/// GIL if needed; no-op for nullptr.
void release_connection_socket(void* handle) noexcept;

class WsgiApp {
 public:
  WsgiApp();
  ~WsgiApp();
  WsgiApp(WsgiApp&&) noexcept;
  WsgiApp& operator=(WsgiApp&&) noexcept;

  /// Import "module[:expr]" the way gunicorn's util.import_app does. Throws AppLoadError.
  static WsgiApp load(const std::string& uri);
  [[nodiscard]] bool loaded() const noexcept;

  /// Run one request. `framer` is reset by the caller for this request.
  /// Logs "Error handling request <uri>" with the traceback on app errors.
  CallResult call(const RequestContext& ctx, core::ResponseFramer& framer, ResponseSink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpp::py
