#pragma once
// The arbiter's --metrics-bind endpoint: a tiny HTTP/1.x server on the
// arbiter's io_context that answers `GET /metrics` with whatever `render`
// returns (Prometheus text) and 404 for any other path. One connection at a
// time, reads bounded (8 KiB) and every connection bounded in time (5 s),
// never blocking the arbiter.
#include <functional>
#include <memory>
#include <string>

#include "workers/asio.hpp"

namespace gpp::daemon {

class MetricsServer {
 public:
  using Render = std::function<std::string()>;
  MetricsServer(boost::asio::io_context& io, Render render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// Listen on `addr` (host:port, [v6]:port, unix:path, like `bind`),
  /// replacing the current socket when the address differs. Throws
  /// std::runtime_error when it cannot bind (the old socket is kept then).
  void listen(const std::string& addr);
  /// Stop listening and drop the connection being served (HUP that unset it).
  void close();
  /// In a forked child: close the fds without touching the (parent's) reactor state.
  void close_fds_after_fork() noexcept;
  [[nodiscard]] const std::string& address() const noexcept { return address_; }

 private:
  struct Listener;
  boost::asio::io_context& io_;
  Render render_;
  std::string address_;
  std::shared_ptr<Listener> current_;
};

/// The HTTP answer (head + body) for one request head. Pure; exposed for tests.
std::string metrics_response(std::string_view request_head, const MetricsServer::Render& render);

}  // namespace gpp::daemon
