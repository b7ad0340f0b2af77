#pragma once
// Listening sockets: parse gunicorn's bind syntax, bind (with gunicorn's
// retries and log lines), close (unlinking unix socket files on final stop).
#include <string>
#include <vector>

#include "core/unique_fd.hpp"
#include "workers/worker.hpp"

namespace gpp::daemon {

/// A parsed bind address (gunicorn util.parse_address).
struct BindAddress {
  enum class Kind { Tcp, Unix, Fd } kind = Kind::Tcp;
  std::string host;  ///< TCP host ("0.0.0.0", "::1"), unix path
  int port = 8000;   ///< TCP port, or the fd number for fd://N
};

/// Throws std::invalid_argument on a malformed address.
BindAddress parse_bind(const std::string& text);

struct BoundListener {
  core::UniqueFd fd;
  workers::Listener info;   ///< what workers see (fd is borrowed from `fd`)
  std::string url;          ///< "http://127.0.0.1:8000", "unix:/run/app.sock"
  std::string unix_path;    ///< non-empty for unix sockets we created
};

/// Bind every address (5 tries, 1 s apart, as gunicorn). Logs gunicorn's
/// lines; throws std::runtime_error("Can't connect to ...") when one fails.
std::vector<BoundListener> bind_listeners(const std::vector<std::string>& binds, int backlog,
                                          bool reuse_port, int umask_bits);

/// systemd socket activation: fds 3.. when LISTEN_PID is this process
/// (the variables are then unset, as gunicorn does); empty otherwise.
/// `names` gets LISTEN_FDNAMES split at ':' (one per fd; "" when absent).
std::vector<int> systemd_listen_fds(std::vector<std::string>* names = nullptr);
/// Listening sockets handed to us (socket activation); their files are never unlinked.
std::vector<BoundListener> adopt_listeners(const std::vector<int>& fds);

/// Close the sockets; unlink unix socket files when `unlink` is true.
void close_listeners(std::vector<BoundListener>& listeners, bool unlink);

}  // namespace gpp::daemon
