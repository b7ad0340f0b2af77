#include "workers/engine/engine.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/log/error_log.hpp"
#include "workers/engine/engine_state.hpp"
#include "workers/parser_options.hpp"

namespace gpp::workers::engine {
namespace {

using namespace std::chrono_literals;
constexpr auto kTick = 250ms;
/// gunicorn 26.1's gthread waits 5 s for a new connection's first bytes in a
/// thread, then `keepalive` more seconds in the poller.
constexpr auto kFirstBytesGrace = 5s;
/// A stopping worker still waits this long (at most graceful_timeout) for the
/// request of a connection it accepted before the stop: the client has sent
/// it or is about to, and closing would lose it.
constexpr auto kStopFirstBytesGrace = 1s;
/// How long at most a stopping worker keeps an idle keep-alive connection
/// (besides its `keepalive` deadline and graceful_timeout): a client that is
/// busy on it sends within this and gets its answer with Connection: close;
/// one idle longer is closed, so a stop does not wait for a proxy's long
/// `keepalive` (nginx upstream pools) up to graceful_timeout.
constexpr auto kStopIdleLinger = 2s;

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

asio::awaitable<void> accept_loop(EngineState& e, std::size_t index) {
  asio::posix::stream_descriptor& lis = *e.listeners[index];
  asio::steady_timer backoff(e.io);
  boost::system::error_code ec;
  while (!e.stopping) {
    if (e.connections >= e.worker_connections) {
      // Back-pressure as gunicorn: stop accepting until a connection closes.
      co_await e.gate->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    co_await lis.async_wait(asio::posix::descriptor_base::wait_read,
                            asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    while (!e.stopping && e.connections < e.worker_connections) {
      int fd = ::accept4(lis.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) {
        asio::co_spawn(e.io, serve_connection(std::make_unique<Connection>(e, fd, index)), asio::detached);
        continue;
      }
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        core::log::error(std::string("accept: ") + std::strerror(errno));
        backoff.expires_after(100ms);
        co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      break;  // EAGAIN: another worker took it; ECONNABORTED and friends: next time
    }
  }
}

asio::awaitable<void> signal_loop(EngineState& e, bool& quick) {
  boost::system::error_code ec;
  for (;;) {
    if (e.flags.reopen_logs.exchange(false)) core::log::reopen();
    if (e.flags.quick_exit) {
      quick = true;
      e.io.stop();
      co_return;
    }
    if (!e.flags.alive) e.begin_stop();
    co_await e.wake->async_wait(asio::posix::descriptor_base::wait_read,
                                asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    drain_wakeup(e.wake->native_handle());
  }
}

asio::awaitable<void> tick_loop(EngineState& e) {
  boost::system::error_code ec;
  for (;;) {
    if (e.runner->healthy()) e.ctx.heartbeat->notify();
    Clock::time_point now = Clock::now();
    e.fresh.expire(now);
    e.idle.expire(now);
    e.reading.expire(now);
    if (e.ctx.ppid != ::getppid() && !e.stopping) {
      core::log::info("Parent changed, shutting down: <Worker " + std::to_string(::getpid()) + ">");
      e.begin_stop();
    }
    e.runner->tick();
    if (e.stopping && now >= e.stop_deadline) {
      e.io.stop();
      co_return;
    }
    e.ticker->expires_after(kTick);
    co_await e.ticker->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

}  // namespace

// --- DeadlineList -----------------------------------------------------------

void DeadlineList::push(Connection& c, Clock::time_point now) noexcept {
  if (c.list) c.list->erase(c);
  c.list = this;
  c.deadline = cap_ - now > timeout_ ? now + timeout_ : cap_;
  c.next = nullptr;
  c.prev = tail_;
  (tail_ ? tail_->next : head_) = &c;
  tail_ = &c;
  ++size_;
}

void DeadlineList::erase(Connection& c) noexcept {
  if (c.list != this) return;
  (c.prev ? c.prev->next : head_) = c.next;
  (c.next ? c.next->prev : tail_) = c.prev;
  c.prev = c.next = nullptr;
  c.list = nullptr;
  --size_;
}

void DeadlineList::expire(Clock::time_point now) noexcept {
  while (head_ && head_->deadline <= now) {
    Connection& c = *head_;
    erase(c);
    boost::system::error_code ec;
    c.sock.cancel(ec);
  }
}

void DeadlineList::clamp(Clock::time_point limit) noexcept {
  // min(deadline, limit) keeps the list sorted.
  cap_ = std::min(cap_, limit);
  for (Connection* c = head_; c; c = c->next) c->deadline = std::min(c->deadline, cap_);
}

void DeadlineList::cancel_all() noexcept {
  while (head_) {
    Connection& c = *head_;
    erase(c);
    boost::system::error_code ec;
    c.sock.cancel(ec);
  }
}

// --- EngineState ------------------------------------------------------------

EngineState::EngineState(WorkerContext& c, WorkerFlags& f, const EngineOptions& o)
    : ctx(c),
      flags(f),
      opts(o),
      fresh(seconds(c.cfg->get_double("keepalive")) + kFirstBytesGrace),
      idle(seconds(c.cfg->get_double("keepalive"))),
      reading(seconds(c.cfg->get_double("timeout") > 0 ? c.cfg->get_double("timeout") : 30)) {
  const config::Config& cfg = *c.cfg;
  parser = parser_options_from(cfg);
  proxy_mode = core::http::proxy_mode_from_string(cfg.get_string("proxy_protocol"))
                   .value_or(core::http::ProxyMode::Off);
  proxy_allow = core::IpAllowlist(cfg.get_list("proxy_allow_ips"));
  double timeout = cfg.get_double("timeout");
  io_timeout_ms = timeout > 0 ? static_cast<int>(timeout * 1000) : 30000;
  keepalive_on = cfg.get_double("keepalive") > 0;
  worker_connections = static_cast<std::size_t>(std::max<long>(1, cfg.get_int("worker_connections")));
  max_requests = max_requests_with_jitter(cfg);
  graceful = seconds(cfg.get_double("graceful_timeout"));
  bool multiprocess = cfg.get_int("workers") > 1;
  for (const auto& l : c.listeners) {
    py::ServerInfo s;
    s.name = l.host;
    s.port = l.port;
    s.unix_socket = l.unix_socket;
    s.multiprocess = multiprocess;
    s.multithread = o.multithread;
    s.cooperative_socket = o.cooperative_socket;
    s.sendfile = cfg.sendfile();
    servers.push_back(s);
  }
}

EngineState::~EngineState() {
  tearing_down = true;
  spare.clear();
  gate.reset();
  ticker.reset();
  wake.reset();
  listeners.clear();
}

std::unique_ptr<RequestState> EngineState::take_state() {
  if (spare.empty()) return std::make_unique<RequestState>(io);
  auto rs = std::move(spare.back());
  spare.pop_back();
  return rs;
}

void EngineState::give_state(std::unique_ptr<RequestState> rs) {
  rs->buf.clear();
  rs->carry.clear();
  rs->head.clear();
  rs->body.clear();
  // Keep the pool small: idle connections hold nothing, busy ones hold one each.
  if (spare.size() < 64 && rs->buf.capacity() <= 65536) spare.push_back(std::move(rs));
}

void EngineState::begin_stop() {
  if (stopping) return;
  stopping = true;
  flags.alive = false;
  Clock::time_point now = Clock::now();
  stop_deadline = now + graceful;
  boost::system::error_code ec;
  for (auto& l : listeners) l->cancel(ec);
  if (gate) gate->cancel();
  // Connections accepted whose request has not arrived yet get a short grace;
  // idle keep-alive ones wake up, serve a request already sent, or close.
  fresh.clamp(now + std::min<Clock::duration>(kStopFirstBytesGrace, graceful));
  // Idle keep-alive connections keep their `keepalive` deadline, capped by
  // kStopIdleLinger and graceful_timeout: a request arriving on one is served
  // with Connection: close, so a busy client learns of the stop from a
  // response instead of a close racing the request it is sending.
  idle.clamp(std::min<Clock::time_point>(stop_deadline, now + kStopIdleLinger));
  if (connections == 0) io.stop();
}

void EngineState::connection_closed() {
  --connections;
  if (stopping) {
    if (connections == 0) io.stop();
  } else if (connections + 1 == worker_connections && gate) {
    gate->cancel();
  }
}

// --- Engine -----------------------------------------------------------------

Engine::Engine(WorkerContext& ctx, WorkerFlags& flags, int wake_fd, const EngineOptions& opts)
    : state_(std::make_unique<EngineState>(ctx, flags, opts)) {
  EngineState& e = *state_;
  // An event, not a timer: never expires, cancel() wakes every waiter. Its
  // expiry is set once (expires_at would cancel the other listeners' waits).
  e.gate.emplace(e.io, asio::steady_timer::time_point::max());
  e.ticker.emplace(e.io);
  if (wake_fd >= 0) e.wake.emplace(e.io, wake_fd);
  for (const auto& l : ctx.listeners) {
    int fd = ::fcntl(l.fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "dup listener");
    e.listeners.push_back(std::make_unique<asio::posix::stream_descriptor>(e.io, fd));
  }
}

Engine::~Engine() {
  // The wake-up pipe belongs to the worker's signal setup.
  if (state_ && state_->wake) state_->wake->release();
}

void Engine::start(AppRunner& runner) {
  EngineState& e = *state_;
  e.runner = &runner;
  for (std::size_t i = 0; i < e.listeners.size(); ++i) asio::co_spawn(e.io, accept_loop(e, i), asio::detached);
  if (e.wake) asio::co_spawn(e.io, signal_loop(e, e.quick), asio::detached);
  asio::co_spawn(e.io, tick_loop(e), asio::detached);
}

std::size_t Engine::run(AppRunner& runner) {
  start(runner);
  state_->io.run();
  return runner.busy();
}

void Engine::finished(Exchange& ex) {
  auto* rs = static_cast<RequestState*>(ex.owner);
  asio::post(state_->io, [rs] { rs->done.cancel(); });
}

void Engine::recycle() {
  EngineState* e = state_.get();
  asio::post(e->io, [e] { e->begin_stop(); });
}

void raise_fd_limit() noexcept {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace gpp::workers::engine
