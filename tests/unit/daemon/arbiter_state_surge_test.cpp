// Surge-first recycling and the sd_notify decisions: a worker that has to go
// is sent SIGTERM only once its replacement said WorkerReady.
#include <catch2/catch.hpp>

#include "arbiter_harness.hpp"

namespace gpp::daemon::test {
namespace {

/// `n` workers booted and ready (pids 1001..), notifications rendered.
Harness ready_workers(int n) {
  Harness h(n);
  h.with_notify = true;
  h.boot();
  for (int age = 1; age <= n; ++age) h.ready(Harness::pid_of(age));
  return h;
}

bool contains(const Lines& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

}  // namespace

TEST_CASE("READY=1 only once every worker is ready, with STATUS counts", "[arbiter][surge][notify]") {
  Harness h(2);
  h.with_notify = true;
  Lines boot = h.boot();
  CHECK(boot == Lines{"spawn age=1", "spawn age=2", "debug: 2 workers", "notify STATUS=0 workers ready, 2 booting"});
  CHECK(h.ready(1001) == Lines{"notify STATUS=1 workers ready, 1 booting"});
  CHECK(h.ready(1002) ==
        Lines{"info: Workers ready: 2", "notify READY=1|STATUS=2 workers ready, 0 booting"});
  // Nothing changed: no datagram.
  CHECK(h.tick().empty());
  // A READY from a pid already reaped is ignored.
  CHECK(h.ready(4242).empty());
}

TEST_CASE("HUP: the old generation is retired one by one as the new one becomes ready",
          "[arbiter][surge][hup][notify]") {
  Harness h = ready_workers(2);
  CHECK(h.signal(Sig::HUP) ==
        Lines{"info: Handling signal: hup", "info: Hang up: Master", "notify RELOADING=1", "reload config"});
  Lines reload = h.feed(ReloadDone{true, h.state.settings});
  // New generation spawned, nobody killed yet.
  CHECK(contains(reload, "spawn age=3"));
  CHECK(contains(reload, "spawn age=4"));
  for (const auto& line : reload) CHECK(line.find("kill") == std::string::npos);
  CHECK(h.tick().empty());
  CHECK(h.ready(1003) == Lines{"kill 1001 SIGTERM", "debug: 3 workers", "notify STATUS=2 workers ready, 1 booting"});
  CHECK(h.ready(1004) == Lines{"kill 1002 SIGTERM", "debug: 2 workers", "info: Workers ready: 2",
                               "notify READY=1|STATUS=2 workers ready, 0 booting"});
  CHECK(h.exited(1001, 0) == Lines{"hook child_exit pid=1001"});
  CHECK(h.exited(1002, 0) == Lines{"hook child_exit pid=1002"});
}

TEST_CASE("a failed reload sends READY=1 again at once", "[arbiter][surge][hup][notify]") {
  Harness h = ready_workers(1);
  h.signal(Sig::HUP);
  CHECK(h.feed(ReloadDone{false, h.state.settings}) ==
        Lines{"error: reloading the configuration failed, keeping the previous one", "info: Workers ready: 1",
              "notify READY=1|STATUS=1 workers ready, 0 booting"});
}

TEST_CASE("max_requests: the worker serves on until its replacement is ready", "[arbiter][surge][max_requests]") {
  Harness h = ready_workers(2);
  CHECK(h.retire_request(1001) ==
        Lines{"spawn age=3", "debug: 3 workers", "notify STATUS=2 workers ready, 1 booting"});
  CHECK_FALSE(h.state.workers.at(1001).retiring);
  CHECK(h.tick().empty());
  // A second request from the same worker changes nothing.
  CHECK(h.retire_request(1001).empty());
  CHECK(h.ready(1003) == Lines{"kill 1001 SIGTERM", "debug: 2 workers", "notify STATUS=2 workers ready, 0 booting"});
  CHECK(h.exited(1001, 0) == Lines{"hook child_exit pid=1001"});
}

TEST_CASE("a replacement that never becomes ready does not keep the old worker forever",
          "[arbiter][surge][timeout]") {
  Harness h = ready_workers(1);
  h.state.settings.timeout_s = 10;
  h.retire_request(1001);
  h.advance(9);
  CHECK(h.tick().empty());
  h.advance(1.5);
  CHECK(h.tick() == Lines{"warning: Worker (pid:1001) retired without a ready replacement", "kill 1001 SIGTERM",
                          "debug: 1 workers", "notify STATUS=0 workers ready, 1 booting"});
}

TEST_CASE("a surplus worker still booting is retired at once", "[arbiter][surge][hup]") {
  Harness h = ready_workers(1);
  h.signal(Sig::HUP);
  h.feed(ReloadDone{true, h.state.settings});  // age 2 booting
  h.signal(Sig::HUP);
  Lines second = h.feed(ReloadDone{true, h.state.settings});  // age 3 booting
  // Age 2 (booting, surplus) goes now; age 1 (ready) waits for age 3.
  CHECK(contains(second, "kill 1002 SIGTERM"));
  CHECK_FALSE(contains(second, "kill 1001 SIGTERM"));
  CHECK(contains(h.ready(1003), "kill 1001 SIGTERM"));
}

TEST_CASE("a replacement exiting with 4 during a HUP still halts the server", "[arbiter][surge][halt]") {
  Harness h = ready_workers(1);
  h.signal(Sig::HUP);
  h.feed(ReloadDone{true, h.state.settings});
  Lines lines = h.exited(1002, 4);
  CHECK(contains(lines, "notify STOPPING=1"));
  CHECK(contains(lines, "kill 1001 SIGTERM"));
  CHECK(h.state.phase == Phase::Stopping);
  CHECK(h.exited(1001, 0).back() == "exit 4");
}

TEST_CASE("TERM sends STOPPING=1 first", "[arbiter][surge][notify][term]") {
  Harness h = ready_workers(1);
  Lines lines = h.signal(Sig::TERM);
  REQUIRE(lines.size() >= 2);
  CHECK(lines[1] == "notify STOPPING=1");
}

TEST_CASE("TERM after USR2 hands systemd the new master instead of STOPPING=1", "[arbiter][notify][usr2]") {
  Harness h = ready_workers(1);
  h.signal(Sig::USR2);
  h.feed(ReexecStarted{777});
  Lines lines = h.signal(Sig::TERM);
  CHECK(contains(lines, "notify MAINPID=777"));
  CHECK_FALSE(contains(lines, "notify STOPPING=1"));
}

TEST_CASE("an unpromoted new master backing out does not send STOPPING=1", "[arbiter][notify][usr2]") {
  Harness h(1);
  h.with_notify = true;
  h.state.master_pid = 555;
  h.boot();
  h.ready(1001);
  for (const auto& line : h.signal(Sig::TERM)) CHECK(line.rfind("notify", 0) != 0);
}

TEST_CASE("TTOU retires a ready worker at once when enough stay ready", "[arbiter][surge][ttou]") {
  Harness h = ready_workers(3);
  CHECK(contains(h.signal(Sig::TTOU), "kill 1001 SIGTERM"));
}

}  // namespace gpp::daemon::test
