// Arbiter state machine: start() and every master signal (gunicorn 26.1 arbiter.py).
#include <catch2/catch.hpp>

#include "arbiter_harness.hpp"

namespace gpp::daemon::test {
namespace {

using std::chrono::seconds;

/// A harness with `n` registered workers (ages 1..n, pids 1001..).
Harness booted(int n) {
  Harness h(n);
  h.boot();
  return h;
}

}  // namespace

TEST_CASE("start spawns num_workers workers with increasing age", "[arbiter][start]") {
  Harness h(3);
  h.answer_spawns = false;
  CHECK(h.boot() == Lines{"spawn age=1", "spawn age=2", "spawn age=3", "debug: 3 workers"});
  CHECK(h.state.pending_spawns == 3);
  CHECK(h.state.worker_age == 3);
  // Pending spawns count: a tick before the forks answer spawns nothing more.
  CHECK(h.tick().empty());

  CHECK(h.feed(Spawned{1001, 1}).empty());
  CHECK(h.feed(Spawned{1002, 2}).empty());
  CHECK(h.feed(Spawned{1003, 3}).empty());
  CHECK(h.state.pending_spawns == 0);
  REQUIRE(h.state.workers.size() == 3);
  CHECK(h.state.workers.at(1002).age == 2);
  CHECK(h.tick().empty());
}

TEST_CASE("TERM: graceful stop, workers not replaced, exit 0", "[arbiter][signal][term]") {
  Harness h = booted(2);
  auto t0 = h.now;
  CHECK(h.signal(Sig::TERM) == Lines{"info: Handling signal: term", "close listeners unlink=true",
                                     "kill 1001 SIGTERM", "kill 1002 SIGTERM"});
  CHECK(h.state.phase == Phase::Stopping);
  CHECK(h.state.graceful_stop);
  CHECK(h.state.stop_deadline == t0 + seconds(30));

  CHECK(h.exited(1001, 0) == Lines{"hook child_exit pid=1001"});
  CHECK(h.tick().empty());
  CHECK(h.killed(1002, SIGTERM) == Lines{"info: Worker (pid:1002) was sent SIGTERM!",
                                         "hook child_exit pid=1002", "info: Shutting down: Master",
                                         "remove pidfile", "hook on_exit", "exit 0"});
  CHECK(h.state.phase == Phase::Halted);
}

TEST_CASE("TERM with no worker left exits at once; unlink follows the setting", "[arbiter][signal][term]") {
  Harness h(0);
  h.state.settings.unlink_listeners = false;
  h.boot();
  CHECK(h.signal(Sig::TERM) == Lines{"info: Handling signal: term", "close listeners unlink=false",
                                     "info: Shutting down: Master", "remove pidfile", "hook on_exit", "exit 0"});
}

TEST_CASE("INT and QUIT: quick stop with SIGQUIT and the graceful deadline", "[arbiter][signal][int][quit]") {
  for (Sig sig : {Sig::INT, Sig::QUIT}) {
    Harness h = booted(2);
    auto t0 = h.now;
    std::string name = sig == Sig::INT ? "int" : "quit";
    CHECK(h.signal(sig) == Lines{"info: Handling signal: " + name, "close listeners unlink=true",
                                 "kill 1001 SIGQUIT", "kill 1002 SIGQUIT"});
    CHECK(h.state.phase == Phase::Stopping);
    CHECK_FALSE(h.state.graceful_stop);
    CHECK(h.state.stop_deadline == t0 + seconds(30));
    // Already quick: another INT changes nothing.
    CHECK(h.signal(Sig::INT).empty());
    CHECK(h.exited(1001, 0) == Lines{"hook child_exit pid=1001"});
    CHECK(h.exited(1002, 0) == Lines{"hook child_exit pid=1002", "info: Shutting down: Master",
                                     "remove pidfile", "hook on_exit", "exit 0"});
  }
}

TEST_CASE("INT or QUIT during a graceful stop escalates with a 2 s deadline", "[arbiter][signal][escalation]") {
  for (Sig sig : {Sig::INT, Sig::QUIT}) {
    Harness h = booted(2);
    h.signal(Sig::TERM);
    h.advance(5);
    CHECK(h.signal(sig) == Lines{"info: Quick shutdown requested", "kill 1001 SIGQUIT", "kill 1002 SIGQUIT"});
    CHECK_FALSE(h.state.graceful_stop);
    CHECK(h.state.stop_deadline == h.now + seconds(2));
    CHECK(h.signal(sig).empty());  // only once
    h.advance(1.9);
    CHECK(h.tick().empty());
    h.advance(0.1);
    CHECK(h.tick() == Lines{"kill 1001 SIGKILL", "kill 1002 SIGKILL"});
  }
}

TEST_CASE("signals other than INT/QUIT are dropped while stopping", "[arbiter][signal][stopping]") {
  Harness h = booted(2);
  h.signal(Sig::TERM);
  for (Sig sig : {Sig::TERM, Sig::HUP, Sig::TTIN, Sig::TTOU, Sig::USR1, Sig::USR2, Sig::WINCH}) {
    CHECK(h.signal(sig).empty());
  }
  CHECK(h.state.settings.num_workers == 2);
  CHECK(h.state.graceful_stop);
}

TEST_CASE("HUP: reload spawns a new generation and retires the old one", "[arbiter][signal][hup]") {
  Harness h = booted(2);
  CHECK(h.signal(Sig::HUP) == Lines{"info: Handling signal: hup", "info: Hang up: Master", "reload config"});
  CHECK(h.state.phase == Phase::Running);

  ArbiterSettings fresh = h.state.settings;
  fresh.num_workers = 3;
  fresh.timeout_s = 60;
  h.answer_spawns = false;  // the old generation is retired before the forks answer
  CHECK(h.feed(ReloadDone{true, fresh}) ==
        Lines{"hook nworkers_changed new=3 old=2", "hook on_reload", "spawn age=3", "spawn age=4",
              "spawn age=5", "kill 1001 SIGTERM", "kill 1002 SIGTERM", "debug: 3 workers"});
  for (int age = 3; age <= 5; ++age) CHECK(h.feed(Spawned{Harness::pid_of(age), age}).empty());
  h.answer_spawns = true;
  CHECK(h.state.settings.num_workers == 3);
  CHECK(h.state.settings.timeout_s == 60);
  CHECK(h.state.workers.at(1001).retiring);
  CHECK_FALSE(h.state.workers.at(1003).retiring);
  // No second SIGTERM and no respawn while the old generation drains.
  CHECK(h.tick().empty());
  CHECK(h.exited(1001, 0) == Lines{"hook child_exit pid=1001"});
  CHECK(h.exited(1002, 0) == Lines{"hook child_exit pid=1002"});
  CHECK(h.state.workers.size() == 3);
}

TEST_CASE("HUP with the same worker count still replaces every worker", "[arbiter][signal][hup]") {
  Harness h = booted(2);
  h.signal(Sig::HUP);
  h.answer_spawns = false;
  CHECK(h.feed(ReloadDone{true, h.state.settings}) ==
        Lines{"hook nworkers_changed new=2 old=2", "hook on_reload", "spawn age=3", "spawn age=4",
              "kill 1001 SIGTERM", "kill 1002 SIGTERM"});
}

TEST_CASE("HUP whose reload fails keeps the old settings and workers", "[arbiter][signal][hup]") {
  Harness h = booted(2);
  h.signal(Sig::HUP);
  ArbiterSettings bad = h.state.settings;
  bad.num_workers = 7;
  CHECK(h.feed(ReloadDone{false, bad}) ==
        Lines{"error: reloading the configuration failed, keeping the previous one"});
  CHECK(h.state.settings.num_workers == 2);
  CHECK(h.state.workers.size() == 2);
  CHECK(h.tick().empty());
}

TEST_CASE("TTIN adds a worker", "[arbiter][signal][ttin]") {
  Harness h = booted(2);
  CHECK(h.signal(Sig::TTIN) == Lines{"info: Handling signal: ttin", "hook nworkers_changed new=3 old=2",
                                     "spawn age=3", "debug: 3 workers"});
  CHECK(h.state.settings.num_workers == 3);
  CHECK(h.state.workers.size() == 3);
}

TEST_CASE("TTOU removes the oldest worker, never going below one", "[arbiter][signal][ttou]") {
  Harness h = booted(3);
  CHECK(h.signal(Sig::TTOU) == Lines{"info: Handling signal: ttou", "hook nworkers_changed new=2 old=3",
                                     "kill 1001 SIGTERM", "debug: 2 workers"});
  // Not replaced when it leaves, not killed twice meanwhile.
  CHECK(h.tick().empty());
  CHECK(h.exited(1001, 0) == Lines{"hook child_exit pid=1001"});

  CHECK(h.signal(Sig::TTOU) == Lines{"info: Handling signal: ttou", "hook nworkers_changed new=1 old=2",
                                     "kill 1002 SIGTERM", "debug: 1 workers"});
  CHECK(h.signal(Sig::TTOU) == Lines{"info: Handling signal: ttou"});
  CHECK(h.signal(Sig::TTOU) == Lines{"info: Handling signal: ttou"});
  CHECK(h.state.settings.num_workers == 1);
  CHECK_FALSE(h.state.workers.at(1003).retiring);
}

TEST_CASE("USR1 reopens logs and forwards SIGUSR1 to every worker", "[arbiter][signal][usr1]") {
  Harness h = booted(2);
  CHECK(h.signal(Sig::USR1) ==
        Lines{"info: Handling signal: usr1", "reopen logs", "kill 1001 SIGUSR1", "kill 1002 SIGUSR1"});
  CHECK_FALSE(h.state.workers.at(1001).retiring);
  CHECK(h.tick().empty());
}

TEST_CASE("USR2 re-execs once; the child's exit allows another", "[arbiter][signal][usr2]") {
  Harness h = booted(2);
  CHECK(h.signal(Sig::USR2) == Lines{"info: Handling signal: usr2", "reexec"});
  CHECK(h.feed(ReexecStarted{4242}).empty());
  CHECK(h.state.reexec_pid == 4242);
  CHECK(h.signal(Sig::USR2) == Lines{"info: Handling signal: usr2", "warning: USR2 signal ignored. Child exists."});
  // The new master is reaped silently and is not a worker: nothing is respawned.
  CHECK(h.exited(4242, 0).empty());
  CHECK(h.state.reexec_pid == 0);
  CHECK(h.state.workers.size() == 2);
  CHECK(h.signal(Sig::USR2) == Lines{"info: Handling signal: usr2", "reexec"});
  CHECK(h.state.phase == Phase::Running);
}

TEST_CASE("USR2 is ignored by an unpromoted re-exec'd master", "[arbiter][signal][usr2]") {
  Harness h(2);
  h.state.master_pid = 77;
  h.state.master_name = "Master.2";
  h.boot();
  CHECK(h.signal(Sig::USR2) == Lines{"info: Handling signal: usr2", "warning: USR2 signal ignored. Parent exists."});
  CHECK(h.signal(Sig::HUP) == Lines{"info: Handling signal: hup", "info: Hang up: Master.2", "reload config"});
}

TEST_CASE("a re-exec'd master is promoted when its parent changes", "[arbiter][tick][usr2]") {
  Harness h(2);
  h.state.master_pid = 77;
  h.state.master_name = "Master.2";
  h.boot();
  CHECK(h.tick({}, 77).empty());
  CHECK(h.tick().empty());  // ppid not checked
  CHECK(h.tick({}, 1) == Lines{"info: Master has been promoted.", "promote"});
  CHECK(h.state.master_pid == 0);
  CHECK(h.state.master_name == "Master");
  CHECK(h.tick({}, 1).empty());
  CHECK(h.signal(Sig::USR2) == Lines{"info: Handling signal: usr2", "reexec"});
}

TEST_CASE("unix socket files are kept on stop while a re-exec relation exists", "[arbiter][signal][usr2]") {
  SECTION("old master with a live child") {
    Harness h = booted(1);
    h.signal(Sig::USR2);
    h.feed(ReexecStarted{4242});
    CHECK(h.signal(Sig::TERM) ==
          Lines{"info: Handling signal: term", "close listeners unlink=false", "kill 1001 SIGTERM"});
  }
  SECTION("unpromoted new master") {
    Harness h(1);
    h.state.master_pid = 77;
    h.boot();
    CHECK(h.signal(Sig::TERM) ==
          Lines{"info: Handling signal: term", "close listeners unlink=false", "kill 1001 SIGTERM"});
  }
  SECTION("promoted master") {
    Harness h(1);
    h.state.master_pid = 77;
    h.boot();
    h.tick({}, 1);
    CHECK(h.signal(Sig::TERM) ==
          Lines{"info: Handling signal: term", "close listeners unlink=true", "kill 1001 SIGTERM"});
  }
}

TEST_CASE("WINCH stops the workers only when daemonized", "[arbiter][signal][winch]") {
  SECTION("not daemonized") {
    Harness h = booted(2);
    CHECK(h.signal(Sig::WINCH) ==
          Lines{"info: Handling signal: winch", "debug: SIGWINCH ignored. Not daemonized"});
    CHECK(h.state.settings.num_workers == 2);
  }
  SECTION("daemonized") {
    Harness h(2);
    h.state.settings.daemon = true;
    h.boot();
    CHECK(h.signal(Sig::WINCH) == Lines{"info: Handling signal: winch", "info: graceful stop of workers",
                                        "hook nworkers_changed new=0 old=2", "kill 1001 SIGTERM",
                                        "kill 1002 SIGTERM", "debug: 0 workers"});
    CHECK(h.exited(1001, 0) == Lines{"hook child_exit pid=1001"});
    CHECK(h.tick().empty());
    CHECK(h.state.phase == Phase::Running);
    // TTIN brings one back.
    CHECK(h.signal(Sig::TTIN) == Lines{"info: Handling signal: ttin", "hook nworkers_changed new=1 old=0",
                                       "spawn age=3", "debug: 1 workers"});
  }
}

TEST_CASE("every signal handled while running is followed by manage_workers", "[arbiter][signal][manage]") {
  Harness h(2);
  h.answer_spawns = false;
  h.boot();
  h.feed(Spawned{1001, 1});
  h.feed(SpawnFailed{2});  // one worker short until the next loop iteration
  CHECK(h.signal(Sig::USR2) == Lines{"info: Handling signal: usr2", "reexec", "spawn age=3"});
}

}  // namespace gpp::daemon::test
