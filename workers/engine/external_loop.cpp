// Engine::poll and Engine::reactor_fd: driving the engine from another event
// loop (the coro worker's gevent hub; reference/coro-notes.md candidate A).
#include <boost/version.hpp>

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

bool Engine::poll() {
  state_->io.poll();
  return state_->io.stopped();
}

int Engine::reactor_fd() {
  // The listeners' descriptors created the reactor in the constructor.
  Reactor& reactor = asio::use_service<Reactor>(state_->io);
  return reactor.*member_of(EpollFdTag{});
}

}  // namespace gpp::workers::engine
