#include "workers/worker_signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

namespace gpp::workers {
namespace {

WorkerFlags* g_flags = nullptr;
int g_wake_write = -1;

void wake() noexcept {
  if (g_wake_write >= 0) {
    char b = 1;
    [[maybe_unused]] ssize_t n = ::write(g_wake_write, &b, 1);
  }
}

void on_signal(int sig) {
  if (!g_flags) return;
  switch (sig) {
    case SIGTERM:
      g_flags->alive = false;
      break;
    case SIGINT:
    case SIGQUIT:
      g_flags->alive = false;
      g_flags->quick_exit = true;
      // Quick shutdown does not wait for the request in the app.
      if (g_flags->in_request) ::_exit(0);
      break;
    case SIGUSR1:
      g_flags->reopen_logs = true;
      break;
    case SIGABRT:
      // The arbiter's timeout: gunicorn exits with status 1.
      ::_exit(1);
    default:
      break;
  }
  wake();
}

void set_handler(int sig, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(sig, &sa, nullptr);
}

}  // namespace

int install_worker_signals(WorkerFlags& flags) {
  g_flags = &flags;
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) g_wake_write = p[1];
  for (int sig : {SIGHUP, SIGUSR2, SIGCHLD}) set_handler(sig, SIG_DFL);
  set_handler(SIGWINCH, SIG_IGN);
  set_handler(SIGPIPE, SIG_IGN);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGABRT}) set_handler(sig, on_signal);
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  return g_wake_write >= 0 ? p[0] : -1;
}

void drain_wakeup(int fd) noexcept {
  char buf[64];
  while (fd >= 0 && ::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace gpp::workers
