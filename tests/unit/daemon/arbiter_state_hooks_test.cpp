// Arbiter state machine: where the server hooks and the pidfile removal fall
// in gunicorn's sequence (arbiter.py halt(), reap_workers(), reload(),
// _set_num_workers()).
#include <catch2/catch.hpp>

#include "arbiter_harness.hpp"

namespace gpp::daemon::test {

TEST_CASE("halt: Shutting down, pidfile removed, on_exit, then exit", "[arbiter][hooks][halt]") {
  for (Sig sig : {Sig::TERM, Sig::INT, Sig::QUIT}) {
    Harness h(1);
    h.boot();
    h.signal(sig);
    CHECK(h.exited(1001, 0) == Lines{"hook child_exit pid=1001", "info: Shutting down: Master",
                                     "remove pidfile", "hook on_exit", "exit 0"});
  }
}

TEST_CASE("a boot error halts without child_exit but with on_exit", "[arbiter][hooks][halt]") {
  Harness h(1);
  h.boot();
  CHECK(h.exited(1001, 4) == Lines{"error: Worker (pid:1001) exited with code 4.", "close listeners unlink=true",
                                   "error: Shutting down: Master", "error: Reason: App failed to load.",
                                   "remove pidfile", "hook on_exit", "exit 4"});
}

TEST_CASE("a worker recycled by max_requests: child_exit, then its replacement", "[arbiter][hooks][child]") {
  Harness h(2);
  h.boot();
  CHECK(h.exited(1001, 0) == Lines{"hook child_exit pid=1001", "spawn age=3"});
  CHECK(h.state.workers.count(1003) == 1);
}

TEST_CASE("a timed-out worker: child_exit after its SIGABRT exit", "[arbiter][hooks][timeout]") {
  Harness h(1);
  h.boot();
  CHECK(h.tick({{1001, 31.0}}) == Lines{"critical: WORKER TIMEOUT (pid:1001)", "kill 1001 SIGABRT"});
  CHECK(h.exited(1001, 1) ==
        Lines{"error: Worker (pid:1001) exited with code 1.", "hook child_exit pid=1001", "spawn age=2"});
}

TEST_CASE("nworkers_changed carries new and old counts for TTIN, TTOU, WINCH", "[arbiter][hooks][nworkers]") {
  Harness h(2);
  h.state.settings.daemon = true;
  h.boot();
  CHECK(h.signal(Sig::TTIN)[1] == "hook nworkers_changed new=3 old=2");
  CHECK(h.signal(Sig::TTOU)[1] == "hook nworkers_changed new=2 old=3");
  Lines winch = h.signal(Sig::WINCH);
  CHECK(winch[2] == "hook nworkers_changed new=0 old=2");
}

}  // namespace gpp::daemon::test
