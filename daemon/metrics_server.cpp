#include "daemon/metrics_server.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/log/error_log.hpp"
#include "core/metrics/prometheus_text.hpp"
#include "core/unique_fd.hpp"
#include "daemon/listeners.hpp"

namespace gpp::daemon {
namespace asio = boost::asio;
using Protocol = asio::generic::stream_protocol;

namespace {

constexpr std::size_t kMaxRequestHead = 8192;
constexpr std::chrono::seconds kConnectionDeadline{5};

std::string bind_error(const std::string& addr, int err) {
  return "metrics_bind: can't bind " + addr + ": " + std::strerror(err);
}

/// A listening socket for `addr`, close-on-exec (a USR2 master must not inherit it).
core::UniqueFd open_listener(const std::string& addr, int& family, std::string& unix_path) {
  BindAddress a;
  try {
    a = parse_bind(addr);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("metrics_bind: " + std::string(e.what()));
  }
  if (a.kind == BindAddress::Kind::Fd) throw std::runtime_error("metrics_bind: fd:// is not supported");
  if (a.kind == BindAddress::Kind::Unix) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (a.host.size() >= sizeof sun.sun_path) throw std::runtime_error("unix socket path too long: " + a.host);
    struct stat st{};
    if (::stat(a.host.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(a.host.c_str());
    std::memcpy(sun.sun_path, a.host.c_str(), a.host.size() + 1);
    core::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.get() || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0 ||
        ::listen(fd.get(), 16) != 0)
      throw std::runtime_error(bind_error(addr, errno));
    family = AF_UNIX;
    unix_path = a.host;
    return fd;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(a.port);
  if (::getaddrinfo(a.host.c_str(), port.c_str(), &hints, &res) != 0) throw std::runtime_error(bind_error(addr, EADDRNOTAVAIL));
  core::UniqueFd fd(::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = ::bind(fd.get(), res->ai_addr, res->ai_addrlen);
  family = res->ai_family;
  ::freeaddrinfo(res);
  if (rc != 0 || ::listen(fd.get(), 16) != 0) throw std::runtime_error(bind_error(addr, errno));
  return fd;
}

std::string response(int status, const char* reason, const char* content_type, const std::string& body,
                     bool head_only) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: " + content_type +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  if (!head_only) out += body;
  return out;
}

}  // namespace

std::string metrics_response(std::string_view head, const MetricsServer::Render& render) {
  std::string_view line = head.substr(0, head.find("\r\n"));
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.substr(sp2 + 1, 5) != "HTTP/")
    return response(400, "Bad Request", "text/plain", "Bad Request\n", false);
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view path = target.substr(0, target.find('?'));
  bool head_only = method == "HEAD";
  if (path != "/metrics") return response(404, "Not Found", "text/plain", "Not Found\n", head_only);
  if (method != "GET" && !head_only)
    return response(405, "Method Not Allowed", "text/plain", "Method Not Allowed\n", false);
  return response(200, "OK", core::metrics::kContentType, render(), head_only);
}

struct MetricsServer::Listener : std::enable_shared_from_this<MetricsServer::Listener> {
  Listener(asio::io_context& io, const Render& r) : acceptor(io), client(io), deadline(io), render(r) {}
  asio::basic_socket_acceptor<Protocol> acceptor;
  Protocol::socket client;
  asio::steady_timer deadline;
  const Render& render;
  std::string buf;
  std::string out;
  bool closed = false;
  std::string unix_path;  ///< socket file to remove on close()
  ino_t unix_inode = 0;   ///< ... only while it is still ours (a USR2 master may have replaced it)

  void accept() {
    acceptor.async_accept(client, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (self->closed) return;
      if (ec) {
        // EMFILE and friends: try again shortly instead of spinning.
        self->deadline.expires_after(std::chrono::milliseconds(100));
        self->deadline.async_wait([self](const boost::system::error_code&) {
          if (!self->closed) self->accept();
        });
        return;
      }
      self->serve();
    });
  }

  void serve() {
    buf.clear();
    deadline.expires_after(kConnectionDeadline);
    deadline.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->finish();  // too slow: drop it
    });
    read();
  }

  void read() {
    std::size_t have = buf.size();
    buf.resize(kMaxRequestHead);
    client.async_read_some(asio::buffer(buf.data() + have, kMaxRequestHead - have),
                           [self = shared_from_this(), have](const boost::system::error_code& ec, std::size_t n) {
                             if (self->closed || !self->client.is_open()) return;
                             self->buf.resize(have + n);
                             if (ec) return self->finish();
                             if (self->buf.find("\r\n\r\n") != std::string::npos) return self->answer();
                             if (self->buf.size() >= kMaxRequestHead) {
                               self->out = response(431, "Request Header Fields Too Large", "text/plain",
                                                    "Request Header Fields Too Large\n", false);
                               return self->write();
                             }
                             self->read();
                           });
  }

  void answer() {
    out = metrics_response(buf, render);
    write();
  }

  void write() {
    asio::async_write(client, asio::buffer(out),
                      [self = shared_from_this()](const boost::system::error_code&, std::size_t) {
                        if (!self->closed && self->client.is_open()) self->finish();
                      });
  }

  void finish() {
    boost::system::error_code ec;
    client.shutdown(Protocol::socket::shutdown_both, ec);
    client.close(ec);
    deadline.cancel();
    out.clear();
    out.shrink_to_fit();
    if (!closed) accept();
  }

  void close() {
    closed = true;
    boost::system::error_code ec;
    deadline.cancel();
    client.close(ec);
    acceptor.close(ec);
    struct stat st{};
    if (!unix_path.empty() && ::stat(unix_path.c_str(), &st) == 0 && st.st_ino == unix_inode)
      ::unlink(unix_path.c_str());
  }
};

MetricsServer::MetricsServer(asio::io_context& io, Render render) : io_(io), render_(std::move(render)) {}

MetricsServer::~MetricsServer() { close(); }

void MetricsServer::listen(const std::string& addr) {
  if (current_ && addr == address_) return;
  int family = AF_INET;
  std::string unix_path;
  core::UniqueFd fd = open_listener(addr, family, unix_path);
  auto next = std::make_shared<Listener>(io_, render_);
  next->unix_path = unix_path;
  struct stat st{};
  if (!unix_path.empty() && ::stat(unix_path.c_str(), &st) == 0) next->unix_inode = st.st_ino;
  next->acceptor.assign(Protocol(family, SOCK_STREAM), fd.release());
  close();
  current_ = std::move(next);
  address_ = addr;
  current_->accept();
  bool unix_socket = !unix_path.empty();
  core::log::info("Metrics endpoint at: " + (unix_socket ? addr + " (GET /metrics)" : "http://" + addr + "/metrics"));
}

void MetricsServer::close() {
  if (!current_) return;
  current_->close();
  current_.reset();
  address_.clear();
}

void MetricsServer::close_fds_after_fork() noexcept {
  if (!current_) return;
  // The child never runs the arbiter's io_context again; only the fds matter.
  if (current_->client.is_open()) ::close(current_->client.release());
  if (current_->acceptor.is_open()) ::close(current_->acceptor.release());
}

}  // namespace gpp::daemon
