#include "workers/worker_signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "core/log/error_log.hpp"
#include "core/requests_in_progress.hpp"
#include "python_shim/hooks.hpp"
#include "python_shim/interpreter.hpp"

namespace gpp::workers {
namespace {

WorkerFlags* g_flags = nullptr;
int g_wake_write = -1;
int g_signal_write = -1;  ///< to the signal thread
int g_dump_fd = -1;       ///< the error log's fd (its number survives reopen)
std::string g_dump_header;  ///< formatted before any signal: handlers cannot allocate
std::atomic<bool> g_exiting{false};

void write_byte(int fd, char b) noexcept {
  if (fd >= 0) [[maybe_unused]] ssize_t n = ::write(fd, &b, 1);
}

void on_signal(int sig) {
  const int saved_errno = errno;
  if (g_flags) {
    switch (sig) {
      case SIGTERM:
        g_flags->alive = false;
        break;
      case SIGINT:
      case SIGQUIT:
        g_flags->alive = false;
        g_flags->quick_exit = true;
        write_byte(g_signal_write, static_cast<char>(sig));
        break;
      case SIGUSR1:
        g_flags->reopen_logs = true;
        break;
      case SIGABRT:
        // With or without the GIL (an app stuck in C code holding it): every
        // thread's Python stack and the request lines, then the hook path.
        if (g_dump_fd >= 0) {
          [[maybe_unused]] ssize_t n = ::write(g_dump_fd, g_dump_header.data(), g_dump_header.size());
          py::dump_thread_stacks_signal_safe(g_dump_fd);
          core::write_requests_in_progress(g_dump_fd);
        }
        g_flags->alive = false;
        write_byte(g_signal_write, static_cast<char>(sig));
        break;
      default:
        break;
    }
    write_byte(g_wake_write, 1);
  }
  errno = saved_errno;
}

void set_handler(int sig, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // gunicorn: siginterrupt(False) for TERM and USR1
  ::sigaction(sig, &sa, nullptr);
}

/// The signal thread: runs the Python side of QUIT/INT and ABRT.
void signal_thread(int fd) {
  for (;;) {
    char sig = 0;
    ssize_t n = ::read(fd, &sig, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (sig == SIGINT || sig == SIGQUIT) {
      py::call_worker_hook("worker_int");
      exit_worker(0);
    }
    if (sig == SIGABRT) {
      // Beyond gunicorn: where the request was stuck, before the hook runs
      // (formatted with the GIL; faulthandler's raw dump came before).
      {
        std::string stack = py::main_thread_stack();
        if (!stack.empty())
          core::log::error("Worker (pid:" + std::to_string(::getpid()) + ") timed out in:\n" + stack);
      }
      py::call_worker_hook("worker_abort");
      exit_worker(1);
    }
  }
}

}  // namespace

int install_worker_signals(WorkerFlags& flags) {
  g_flags = &flags;
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) g_wake_write = p[1];
  int wake_read = g_wake_write >= 0 ? p[0] : -1;
  int s[2];
  if (::pipe2(s, O_CLOEXEC) == 0) {
    g_signal_write = s[1];
    ::fcntl(s[1], F_SETFL, O_NONBLOCK);
    // Created while every signal is blocked: the thread keeps that mask, so
    // the handlers always run on the worker's own threads.
    std::thread(signal_thread, s[0]).detach();
  }
  g_dump_header = "Worker (pid:" + std::to_string(::getpid()) +
                  ") timed out; Python stacks of every thread (most recent call first):\n";
  g_dump_fd = core::log::fd();
  for (int sig : {SIGHUP, SIGUSR2, SIGCHLD}) set_handler(sig, SIG_DFL);
  set_handler(SIGWINCH, SIG_IGN);
  set_handler(SIGPIPE, SIG_IGN);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGABRT}) set_handler(sig, on_signal);
  sigset_t none;
  sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
  return wake_read;
}

void drain_wakeup(int fd) noexcept {
  char buf[64];
  while (fd >= 0 && ::read(fd, buf, sizeof buf) > 0) {
  }
}

void exit_worker(int code) {
  static std::mutex once;
  if (g_exiting.exchange(true)) {
    py::GilRelease nogil;  // the other thread needs the GIL to finish
    for (;;) ::pause();    // ... and then ends the process
  }
  std::lock_guard<std::mutex> lock(once);
  // A USR1 that came with the stop request still applies to the last lines.
  if (g_flags && g_flags->reopen_logs.exchange(false)) core::log::reopen();
  core::log::info("Worker exiting (pid: " + std::to_string(::getpid()) + ")");
  py::call_worker_exit();
  py::run_exit_handlers();
  ::_exit(code);
}

}  // namespace gpp::workers
