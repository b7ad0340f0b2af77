// Arbiter state machine: child exits, spawns, ticks (timeouts, deadlines) and halts.
#include <catch2/catch.hpp>

#include "arbiter_harness.hpp"

namespace gpp::daemon::test {
namespace {

using std::chrono::seconds;

Harness booted(int n) {
  Harness h(n);
  h.boot();
  return h;
}

}  // namespace

TEST_CASE("ChildExited for an unknown pid is only logged", "[arbiter][child]") {
  Harness h = booted(2);
  CHECK(h.exited(4242, 0) == Lines{"debug: Reaped unknown child process (pid:4242, status:0)"});
  CHECK(h.exited(4243, 3) == Lines{"debug: Reaped unknown child process (pid:4243, status:768)"});
  CHECK(h.killed(4244, SIGKILL) == Lines{"debug: Reaped unknown child process (pid:4244, status:9)"});
  CHECK(h.feed(ChildExited{4245, -1, SIGABRT, 134}) ==
        Lines{"debug: Reaped unknown child process (pid:4245, status:134)"});
  CHECK(h.state.phase == Phase::Running);  // exit code 3 of a stranger never halts
  CHECK(h.state.workers.size() == 2);
}

TEST_CASE("ChildExited with status 0 calls child_exit and replaces the worker", "[arbiter][child]") {
  Harness h = booted(2);
  h.answer_spawns = false;
  CHECK(h.exited(1001, 0) == Lines{"hook child_exit pid=1001", "spawn age=3"});
  CHECK(h.state.workers.count(1001) == 0);
  CHECK(h.state.pending_spawns == 1);
}

TEST_CASE("ChildExited with a non-zero code logs an error", "[arbiter][child]") {
  Harness h = booted(2);
  CHECK(h.exited(1002, 1) == Lines{"error: Worker (pid:1002) exited with code 1.", "hook child_exit pid=1002",
                                   "spawn age=3"});
  CHECK(h.exited(1001, 255) == Lines{"error: Worker (pid:1001) exited with code 255.",
                                     "hook child_exit pid=1001", "spawn age=4"});
}

TEST_CASE("ChildExited by a signal logs by severity", "[arbiter][child]") {
  Harness h = booted(1);
  CHECK(h.killed(1001, SIGKILL) == Lines{"error: Worker (pid:1001) was sent SIGKILL! Perhaps out of memory?",
                                         "hook child_exit pid=1001", "spawn age=2"});
  CHECK(h.killed(1002, SIGTERM) ==
        Lines{"info: Worker (pid:1002) was sent SIGTERM!", "hook child_exit pid=1002", "spawn age=3"});
  CHECK(h.killed(1003, SIGSEGV) ==
        Lines{"warning: Worker (pid:1003) was sent SIGSEGV!", "hook child_exit pid=1003", "spawn age=4"});
  CHECK(h.killed(1004, SIGABRT) ==
        Lines{"warning: Worker (pid:1004) was sent SIGABRT!", "hook child_exit pid=1004", "spawn age=5"});
  CHECK(h.killed(1005, SIGRTMIN + 6) == Lines{"warning: Worker (pid:1005) was sent signal " +
                                                  std::to_string(SIGRTMIN + 6) + "!",
                                              "hook child_exit pid=1005", "spawn age=6"});
  CHECK(detail::signal_name(SIGBUS) == "SIGBUS");
  CHECK(detail::signal_name(SIGIO) == "SIGIO");
}

TEST_CASE("exit code 3 halts: stop the other workers, then exit 3", "[arbiter][child][halt]") {
  Harness h = booted(3);
  auto t0 = h.now;
  CHECK(h.exited(1002, 3) == Lines{"error: Worker (pid:1002) exited with code 3.", "close listeners unlink=true",
                                   "kill 1001 SIGTERM", "kill 1003 SIGTERM"});
  CHECK(h.state.phase == Phase::Stopping);
  CHECK(h.state.stop_deadline == t0 + seconds(30));
  CHECK(h.tick().empty());  // no replacement
  CHECK(h.exited(1001, 0) == Lines{"hook child_exit pid=1001"});
  CHECK(h.exited(1003, 0) == Lines{"hook child_exit pid=1003", "error: Shutting down: Master",
                                   "error: Reason: Worker failed to boot.", "remove pidfile", "hook on_exit", "exit 3"});
  CHECK(h.state.phase == Phase::Halted);
}

TEST_CASE("exit code 4 halts with App failed to load.", "[arbiter][child][halt]") {
  SECTION("several workers; a second 4 while halting is only logged") {
    Harness h = booted(3);
    h.exited(1001, 4);
    CHECK(h.exited(1002, 4) == Lines{"error: Worker (pid:1002) exited with code 4."});
    CHECK(h.killed(1003, SIGTERM) == Lines{"info: Worker (pid:1003) was sent SIGTERM!", "hook child_exit pid=1003",
                                           "error: Shutting down: Master", "error: Reason: App failed to load.",
                                           "remove pidfile", "hook on_exit", "exit 4"});
  }
  SECTION("the only worker") {
    Harness h = booted(1);
    CHECK(h.exited(1001, 4) == Lines{"error: Worker (pid:1001) exited with code 4.",
                                     "close listeners unlink=true", "error: Shutting down: Master",
                                     "error: Reason: App failed to load.", "remove pidfile", "hook on_exit", "exit 4"});
  }
}

TEST_CASE("exit code 3 during a TERM stop keeps exit status 0", "[arbiter][child][halt]") {
  Harness h = booted(2);
  h.signal(Sig::TERM);
  CHECK(h.exited(1001, 3) == Lines{"error: Worker (pid:1001) exited with code 3."});
  CHECK(h.exited(1002, 0) ==
        Lines{"hook child_exit pid=1002", "info: Shutting down: Master", "remove pidfile", "hook on_exit", "exit 0"});
}

TEST_CASE("INT escalates a halt's graceful stop too", "[arbiter][child][halt][escalation]") {
  Harness h = booted(2);
  h.exited(1001, 3);
  CHECK(h.signal(Sig::INT) == Lines{"info: Quick shutdown requested", "kill 1002 SIGQUIT"});
  CHECK(h.exited(1002, 0) == Lines{"hook child_exit pid=1002", "error: Shutting down: Master",
                                   "error: Reason: Worker failed to boot.", "remove pidfile", "hook on_exit", "exit 3"});
}

TEST_CASE("Tick murders timed-out workers: SIGABRT, then SIGKILL", "[arbiter][tick][timeout]") {
  Harness h = booted(2);  // timeout 30 s
  CHECK(h.tick({{1001, 30.0}, {1002, 1.0}}).empty());  // not beyond the timeout
  CHECK(h.tick({{1001, 30.5}, {1002, 1.0}}) == Lines{"critical: WORKER TIMEOUT (pid:1001)", "kill 1001 SIGABRT"});
  CHECK(h.state.workers.at(1001).aborted);
  CHECK(h.tick({{1001, 31.5}}) == Lines{"kill 1001 SIGKILL"});
  CHECK(h.tick({{1001, 32.5}}) == Lines{"kill 1001 SIGKILL"});
  // Not replaced before it is reaped; then replaced.
  CHECK(h.killed(1001, SIGKILL) == Lines{"error: Worker (pid:1001) was sent SIGKILL! Perhaps out of memory?",
                                         "hook child_exit pid=1001", "spawn age=3"});
  // Workers absent from the map are fresh.
  CHECK(h.tick({{4242, 99.0}}).empty());
}

TEST_CASE("Tick: timeout 0 disables murdering", "[arbiter][tick][timeout]") {
  Harness h(1);
  h.state.settings.timeout_s = 0;
  h.boot();
  CHECK(h.tick({{1001, 1e6}}).empty());
}

TEST_CASE("Tick: manage_workers respawns what is missing", "[arbiter][tick][manage]") {
  Harness h(2);
  h.answer_spawns = false;
  h.boot();
  CHECK(h.feed(Spawned{1001, 1}).empty());
  // The second fork failed: nothing until the next tick, which retries.
  CHECK(h.feed(SpawnFailed{2}).empty());
  CHECK(h.state.pending_spawns == 0);
  CHECK(h.tick() == Lines{"spawn age=3"});
  CHECK(h.tick().empty());
  CHECK(h.feed(Spawned{1003, 3}).empty());
  CHECK(h.tick().empty());
}

TEST_CASE("Tick: the oldest surplus worker gets SIGTERM once", "[arbiter][tick][manage]") {
  Harness h = booted(3);
  h.state.settings.num_workers = 2;
  CHECK(h.tick() == Lines{"kill 1001 SIGTERM", "debug: 2 workers"});
  CHECK(h.tick().empty());
}

TEST_CASE("stop deadline: SIGKILL to the survivors on every tick", "[arbiter][tick][deadline]") {
  Harness h(2);
  h.state.settings.graceful_timeout_s = 10;
  h.boot();
  h.signal(Sig::TERM);
  h.advance(9.5);
  CHECK(h.tick({{1001, 1e6}}).empty());  // no murdering while stopping
  h.advance(0.5);
  CHECK(h.tick() == Lines{"kill 1001 SIGKILL", "kill 1002 SIGKILL"});
  CHECK(h.killed(1001, SIGKILL) ==
        Lines{"error: Worker (pid:1001) was sent SIGKILL! Perhaps out of memory?", "hook child_exit pid=1001"});
  h.advance(1);
  CHECK(h.tick() == Lines{"kill 1002 SIGKILL"});
  CHECK(h.killed(1002, SIGKILL) ==
        Lines{"error: Worker (pid:1002) was sent SIGKILL! Perhaps out of memory?", "hook child_exit pid=1002",
              "info: Shutting down: Master", "remove pidfile", "hook on_exit", "exit 0"});
}

TEST_CASE("stop deadline: a worker that survives SIGKILL does not hang the exit", "[arbiter][tick][deadline]") {
  Harness h(1);
  h.state.settings.graceful_timeout_s = 1;
  h.boot();
  h.signal(Sig::TERM);
  h.advance(1);
  CHECK(h.tick() == Lines{"kill 1001 SIGKILL"});
  h.advance(1.9);
  CHECK(h.tick() == Lines{"kill 1001 SIGKILL"});
  h.advance(0.1);
  CHECK(h.tick() == Lines{"kill 1001 SIGKILL", "warning: 1 worker(s) still alive after SIGKILL, exiting anyway",
                          "info: Shutting down: Master", "remove pidfile", "hook on_exit", "exit 0"});
}

TEST_CASE("a worker forked after the stop began is stopped too", "[arbiter][spawned][stopping]") {
  Harness h(2);
  h.answer_spawns = false;
  h.boot();
  h.feed(Spawned{1001, 1});
  CHECK(h.signal(Sig::TERM) ==
        Lines{"info: Handling signal: term", "close listeners unlink=true", "kill 1001 SIGTERM"});
  CHECK(h.exited(1001, 0) == Lines{"hook child_exit pid=1001"});  // still waiting for the fork
  CHECK(h.feed(Spawned{1002, 2}) == Lines{"kill 1002 SIGTERM"});
  CHECK(h.exited(1002, 0) ==
        Lines{"hook child_exit pid=1002", "info: Shutting down: Master", "remove pidfile", "hook on_exit", "exit 0"});
}

TEST_CASE("ReloadDone while stopping is ignored", "[arbiter][reload][stopping]") {
  Harness h = booted(1);
  h.signal(Sig::HUP);
  h.signal(Sig::TERM);
  ArbiterSettings fresh = h.state.settings;
  fresh.num_workers = 5;
  CHECK(h.feed(ReloadDone{true, fresh}).empty());
  CHECK(h.state.settings.num_workers == 1);
}

TEST_CASE("a halted arbiter ignores every event", "[arbiter][halted]") {
  Harness h = booted(0);
  h.signal(Sig::TERM);
  REQUIRE(h.state.phase == Phase::Halted);
  CHECK(h.signal(Sig::INT).empty());
  CHECK(h.tick().empty());
  CHECK(h.exited(1001, 0).empty());
  CHECK(h.feed(Spawned{1009, 9}).empty());
  CHECK(h.feed(ReloadDone{true, h.state.settings}).empty());
}

}  // namespace gpp::daemon::test
