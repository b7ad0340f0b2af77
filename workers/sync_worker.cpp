#include "workers/sync_worker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "core/http/response.hpp"
#include "core/ip_allowlist.hpp"
#include "core/log/error_log.hpp"
#include "core/unique_fd.hpp"
#include "python_shim/interpreter.hpp"
#include "python_shim/wsgi_app.hpp"
#include "workers/access_log.hpp"
#include "workers/blocking_io.hpp"
#include "workers/parser_options.hpp"
#include "workers/peer.hpp"
#include "workers/readiness.hpp"
#include "workers/request_metrics.hpp"
#include "workers/request_reader.hpp"
#include "workers/socket_sink.hpp"
#include "workers/worker_signals.hpp"

namespace gpp::workers {
namespace {

struct SyncState {
  WorkerContext& ctx;
  py::WsgiApp& app;
  WorkerFlags& flags;
  core::http::ParserOptions parser_options;
  std::vector<py::ServerInfo> servers;  ///< one per listener
  int io_timeout_ms = 30000;
  core::http::ProxyMode proxy_mode = core::http::ProxyMode::Off;
  core::IpAllowlist proxy_allow;
  long requests = 0;
  long max_requests = 0;
  bool retire_requested = false;  ///< max_requests reached; serving until the arbiter's TERM
};

/// One connection: read a request, run the app, answer with Connection: close.
void handle_connection(SyncState& st, int client_fd, const py::ServerInfo& server) {
  Peer peer = peer_of(client_fd);
  ReadRequest req;
  bool trusted = peer_trusted(peer, *st.ctx.cfg);
  std::optional<core::http::ProxyInfo> proxy;
  if (st.proxy_mode != core::http::ProxyMode::Off) {
    bool allowed = peer.unix_socket || st.proxy_allow.allows(peer.addr);
    if (read_proxy_header(client_fd, st.proxy_mode, allowed, st.io_timeout_ms, req, proxy, peer.addr) != ReadOutcome::Ok)
      return;
  }
  ReadOutcome outcome = read_request(client_fd, st.parser_options, trusted, st.io_timeout_ms, req);
  if (outcome != ReadOutcome::Ok) return;

  py::RequestContext rc;
  rc.head = &req.head;
  rc.body = &req.body;
  rc.server = &server;
  rc.remote_addr = peer.addr;
  rc.remote_port = peer.port;
  rc.url_scheme = url_scheme_for(req.head, trusted, *st.ctx.cfg);
  rc.proxy = proxy ? &*proxy : nullptr;
  rc.client_fd = client_fd;
  rc.client_family = peer.family;
  rc.log_environ_keys = app_environ_keys();

  core::ResponseFramer framer;
  framer.reset(req.head.method, req.head.version_major, req.head.version_minor, true);
  SocketSink sink(client_fd, st.io_timeout_ms);
  request_metrics::InFlight in_flight;
  st.flags.in_request = true;
  auto start = std::chrono::steady_clock::now();
  py::CallResult result = st.app.call(rc, framer, sink);
  st.flags.in_request = false;
  bool failed = result == py::CallResult::ErrorBeforeHead;
  log_access({.request = &rc, .response = &framer, .error_status = failed ? "500 Internal Server Error" : "",
              .start = start});
  if (failed)
    write_all(client_fd, core::http::error_response(500, "Internal Server Error", ""), st.io_timeout_ms);
  ++st.requests;
}

void accept_ready(SyncState& st, std::size_t index) {
  const Listener& l = st.ctx.listeners[index];
  for (;;) {
    // Blocking, as gunicorn's client sockets: gunicorn.socket reports and
    // behaves blocking; our own I/O passes MSG_DONTWAIT and waits in poll().
    int fd = ::accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: another worker took it, or nothing left
    core::UniqueFd client(fd);
    handle_connection(st, fd, st.servers[index]);
    st.ctx.heartbeat->notify();
    if (!st.flags.alive) return;
    if (st.max_requests > 0 && st.requests >= st.max_requests && !st.retire_requested) {
      core::log::info("Autorestarting worker after current request.");
      request_metrics::mark_exit(core::metrics::ExitReason::MaxRequests);
      st.retire_requested = true;
      // Surge-first: keep serving until the replacement is ready and the
      // arbiter sends TERM; without the arbiter's channel, stop now.
      if (!request_retire()) {
        st.flags.alive = false;
        return;
      }
    }
  }
}

}  // namespace

int run_sync_worker(WorkerContext& ctx, py::WsgiApp& app, WorkerFlags& flags, int wake_fd) {
  SyncState st{.ctx = ctx, .app = app, .flags = flags, .parser_options = parser_options_from(*ctx.cfg),
               .servers = {}, .proxy_allow = {}};
  bool multiprocess = ctx.cfg->get_int("workers") > 1;
  for (const auto& l : ctx.listeners) {
    py::ServerInfo s;
    s.name = l.host;
    s.port = l.port;
    s.unix_socket = l.unix_socket;
    s.multiprocess = multiprocess;
    s.sendfile = ctx.cfg->sendfile();
    st.servers.push_back(s);
  }
  st.proxy_mode = core::http::proxy_mode_from_string(ctx.cfg->get_string("proxy_protocol"))
                      .value_or(core::http::ProxyMode::Off);
  st.proxy_allow = core::IpAllowlist(ctx.cfg->get_list("proxy_allow_ips"));
  double timeout = ctx.cfg->get_double("timeout");
  st.io_timeout_ms = timeout > 0 ? static_cast<int>(timeout * 1000) : 30000;
  st.max_requests = max_requests_with_jitter(*ctx.cfg);
  // gunicorn's sync worker waits timeout/2 between heartbeats.
  int poll_ms = timeout > 0 ? std::max(100, static_cast<int>(timeout * 500)) : 1000;

  std::vector<pollfd> fds;
  for (const auto& l : ctx.listeners) fds.push_back({l.fd, POLLIN, 0});
  if (wake_fd >= 0) fds.push_back({wake_fd, POLLIN, 0});

  py::GilRelease nogil;  // the app call takes the GIL back
  while (st.flags.alive) {
    ctx.heartbeat->notify();
    if (ctx.ppid != ::getppid()) {
      core::log::info("Parent changed, shutting down: <Worker " + std::to_string(::getpid()) + ">");
      break;
    }
    if (st.flags.reopen_logs.exchange(false)) core::log::reopen();
    int r = ::poll(fds.data(), fds.size(), poll_ms);
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    if (wake_fd >= 0 && fds.back().revents) drain_wakeup(wake_fd);
    for (std::size_t i = 0; i < ctx.listeners.size() && st.flags.alive; ++i) {
      if (fds[i].revents & POLLIN) accept_ready(st, i);
    }
  }
  return 0;
}

}  // namespace gpp::workers
