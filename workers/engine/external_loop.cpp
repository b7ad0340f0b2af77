// Engine::poll and Engine::reactor_fd: driving the engine from another event
// loop (the coro worker's gevent hub; reference/coro-notes.md candidate A).
#include <boost/version.hpp>

#include <memory>

#include "workers/engine/engine.hpp"
#include "workers/engine/engine_state.hpp"

// reactor_fd() reads a private member of Asio's epoll reactor: re-check it
// (and the pitfalls in coro-notes.md) before moving to another Boost.
static_assert(BOOST_VERSION == 107400, "Engine::reactor_fd reads epoll_reactor::epoll_fd_ of Boost 1.74");

namespace gpp::workers::engine {
namespace {

using Reactor = asio::detail::epoll_reactor;

/// The explicit-instantiation access trick: naming a private member in an
/// explicit instantiation is legal, and the friend function hands it out.
struct EpollFdTag {
  using type = int Reactor::*;
  friend type member_of(EpollFdTag);
};

template <typename Tag, typename Tag::type Member>
struct Expose {
  friend typename Tag::type member_of(Tag) { return Member; }
};

template struct Expose<EpollFdTag, &Reactor::epoll_fd_>;

}  // namespace

bool Engine::poll(std::size_t max_handlers, bool& more) {
  std::size_t ran = 0;
  while (ran < max_handlers && state_->io.poll_one() != 0) ++ran;
  more = ran == max_handlers;
  return state_->io.stopped();
}

std::function<void()> Engine::call_after(std::chrono::nanoseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(state_->io, delay);
  std::weak_ptr<asio::steady_timer> weak = timer;
  // The handler owns the timer; cancelling makes it run at once with an error.
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
  return [weak] {
    if (auto t = weak.lock()) t->cancel();
  };
}

int Engine::reactor_fd() {
  // The listeners' descriptors created the reactor in the constructor.
  Reactor& reactor = asio::use_service<Reactor>(state_->io);
  return reactor.*member_of(EpollFdTag{});
}

}  // namespace gpp::workers::engine
