// The arbiter's side of readiness: the pipe workers report READY /
// RETIRE_REQUEST on (fed to the state machine as WorkerReady /
// RetireRequested), sd_notify datagrams the state machine decides, and the
// systemd watchdog ping.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "core/log/error_log.hpp"
#include "daemon/arbiter_impl.hpp"
#include "daemon/sd_notify.hpp"
#include "workers/readiness.hpp"

namespace gpp::daemon {

void Arbiter::Impl::open_readiness() {
  int p[2];
  // CLOEXEC: a USR2 re-exec'd master makes its own; workers get it by fork.
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
    core::log::warning(std::string("readiness pipe: ") + std::strerror(errno) +
                       "; workers are replaced without waiting for readiness");
    return;
  }
  readiness_read.emplace(io, p[0]);
  readiness_write.reset(p[1]);
  arm_readiness();
}

void Arbiter::Impl::arm_readiness() {
  readiness_read->async_read_some(
      boost::asio::buffer(readiness_buf), [this](const boost::system::error_code& ec, std::size_t n) {
        if (ec || exit_code) return;
        readiness_partial.append(readiness_buf.data(), n);
        constexpr std::size_t size = sizeof(workers::ReadinessMessage);
        std::size_t used = 0;
        for (; readiness_partial.size() - used >= size && !exit_code; used += size) {
          workers::ReadinessMessage msg;
          std::memcpy(&msg, readiness_partial.data() + used, size);
          if (msg.kind == workers::ReadinessKind::Ready) {
            feed(WorkerReady{msg.pid});
          } else if (msg.kind == workers::ReadinessKind::RetireRequest) {
            feed(RetireRequested{msg.pid});
          }
        }
        readiness_partial.erase(0, used);
        if (!exit_code) arm_readiness();
      });
}

void Arbiter::Impl::notify(const std::string& state) {
  if (state.rfind("RELOADING=1", 0) == 0) {
    // systemd 253's Type=notify-reload wants the CLOCK_MONOTONIC time of the request.
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    long long usec = static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
    sd_notify(state + "\nMONOTONIC_USEC=" + std::to_string(usec));
    return;
  }
  sd_notify(state);
}

void Arbiter::Impl::start_watchdog(bool any_pid) {
  const char* usec = std::getenv("WATCHDOG_USEC");
  if (!usec || !*usec) return;
  const char* pid = std::getenv("WATCHDOG_PID");
  if (!any_pid && pid && *pid && std::atol(pid) != static_cast<long>(::getpid())) return;
  long long value = std::atoll(usec);
  if (value <= 0) return;
  const bool running = watchdog_interval.count() > 0;
  watchdog_interval = std::chrono::microseconds(value / 2);
  core::log::debug("systemd watchdog: WATCHDOG=1 every " + std::to_string(value / 2) + " us");
  if (!running) arm_watchdog();
}

void Arbiter::Impl::arm_watchdog() {
  sd_notify("WATCHDOG=1");
  watchdog.expires_after(watchdog_interval);
  watchdog.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !exit_code) arm_watchdog();
  });
}

}  // namespace gpp::daemon
