"""Surge-first recycling: on HUP, max_requests and USR2 the replacement worker
is booted and has told the arbiter it is ready before the worker it replaces
stops accepting, so capacity never dips and no request fails."""
import os
import re
import signal
import socket
import time

import pytest

from loadgen import KeepAliveLoadGen, LoadGen, one_request
from notify import NotifySocket
from server import Server, children_of, wait_for


def timed_get(port):
    start = time.monotonic()
    outcome = one_request(port, "/", 15)
    return outcome, time.monotonic() - start


def latencies_during(port, seconds):
    """GET / back to back for `seconds`; returns [(outcome, latency)]."""
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        out.append(timed_get(port))
    return out


@pytest.mark.parametrize("klass", ["sync", "gthread", "coro"])
def test_hup_with_one_slow_importing_worker_answers_at_once(klass):
    """Kill-first would leave no worker for the 2 s the new one imports: a
    request sent then waits about 2 s. Surge-first answers it at once, and
    the old worker exits only after the new one finished importing."""
    with Server("-w", "1", "-k", klass, "slow_import_app:app", env={"SLOW_IMPORT_S": "2"}) as srv:
        srv.wait_ready(timeout=30)
        [old] = wait_for(lambda: srv.workers(), timeout=10)
        assert wait_for(lambda: "imported in pid %d" % old in srv.log_text(), timeout=15)
        srv.signal(signal.SIGHUP)
        results = latencies_during(srv.port, 3.5)
        assert all(outcome == "ok" for outcome, _ in results), results
        worst = max(latency for _, latency in results)
        slow = [(i, round(latency, 3)) for i, (_, latency) in enumerate(results) if latency >= 1.0]
        assert worst < 1.0, (slow, len(results), srv.log_text())  # kill-first: >= 2 s
        assert wait_for(lambda: (lambda w: len(w) == 1 and old not in w and w)(srv.workers()), timeout=15)
        [new] = srv.workers()
        log = srv.log_text()
        assert log.index("imported in pid %d" % new) < log.index("Worker exiting (pid: %d)" % old), log


@pytest.mark.parametrize("klass", ["sync", "gthread", "coro"])
def test_max_requests_worker_serves_until_its_replacement_is_ready(klass):
    with Server("-w", "1", "-k", klass, "--max-requests", "5", "slow_import_app:app",
                env={"SLOW_IMPORT_S": "2"}) as srv:
        srv.wait_ready(timeout=30)
        [old] = wait_for(lambda: srv.workers(), timeout=10)
        assert wait_for(lambda: "imported in pid %d" % old in srv.log_text(), timeout=15)
        for _ in range(5):
            assert one_request(srv.port, "/", 10) == "ok"
        assert wait_for(lambda: "Autorestarting worker after current request." in srv.log_text(), timeout=5)
        results = latencies_during(srv.port, 3.5)
        assert all(outcome == "ok" for outcome, _ in results), results
        assert max(latency for _, latency in results) < 1.0, results
        assert wait_for(lambda: "Worker exiting (pid: %d)" % old in srv.log_text(), timeout=15)
        log = srv.log_text()
        # The replacement may itself have been recycled since: take the first one.
        new = [int(p) for p in re.findall(r"Booting worker with pid: (\d+)", log)][1]
        assert log.index("imported in pid %d" % new) < log.index("Worker exiting (pid: %d)" % old), log


@pytest.mark.parametrize("mode", ["new-connections", "keep-alive"])
@pytest.mark.parametrize("klass", ["sync", "gthread", "coro"])
def test_zero_failures_through_hup_x3_and_max_requests_50(klass, mode):
    with Server("-w", "2", "-k", klass, "--max-requests", "50", "--graceful-timeout", "10",
                "testapp:app") as srv:
        srv.wait_ready(workers=2)
        make = LoadGen if mode == "new-connections" else KeepAliveLoadGen
        with make(srv.port, rate=150) as load:
            time.sleep(1.5)
            for i in range(3):
                load.phase("hup%d" % i)
                srv.signal(signal.SIGHUP)
                time.sleep(2)
            load.phase("end")
            time.sleep(1)
        summary = load.summary()
        print("summary", summary, "retried", dict(getattr(load, "retried", {})))
        assert load.failures() == {}, summary
        # A stopping worker answers on its keep-alive connections (Connection:
        # close) instead of closing them under a client that is sending.
        assert sum(getattr(load, "retried", {}).values()) == 0, summary
        for phase in ("start", "hup0", "hup1", "hup2"):
            assert load.ok(phase) >= 100, summary
        log = srv.log_text()
        assert log.count("Hang up: Master") == 3
        # max_requests=50 at 150 req/s over 2 workers recycled several of them too.
        assert log.count("Autorestarting worker after current request.") >= 3, log
        assert "Traceback" not in log


@pytest.mark.parametrize("mode", ["new-connections", "keep-alive"])
@pytest.mark.parametrize("klass", ["sync", "gthread", "coro"])
def test_zero_failures_through_usr2_then_term_of_the_old_master(tmp_path, klass, mode):
    notify = NotifySocket(str(tmp_path / "notify.sock"))
    pidfile = str(tmp_path / "gpp.pid")
    new_pid = 0
    try:
        with Server("-w", "2", "-k", klass, "--pid", pidfile, "--graceful-timeout", "10", "testapp:app",
                    env={"NOTIFY_SOCKET": notify.path}) as srv:
            try:
                notify.until(lambda t: t.startswith("READY=1"))
                make = LoadGen if mode == "new-connections" else KeepAliveLoadGen
                with make(srv.port, rate=150) as load:
                    time.sleep(1)
                    load.phase("usr2")
                    srv.signal(signal.SIGUSR2)
                    # The operator's cue: the new master is READY once its workers are.
                    new_pid, _ = notify.until(lambda t: t.startswith("READY=1"))
                    assert new_pid != srv.proc.pid and len(children_of(new_pid)) == 2
                    time.sleep(0.5)
                    load.phase("term-old")
                    term_at = time.monotonic()
                    srv.signal(signal.SIGTERM)
                    assert srv.wait_exit(15) == 0
                    # MAINPID from the old master as it hands over, then from the new one once promoted.
                    assert notify.until(lambda t: t.startswith("MAINPID=")) == (srv.proc.pid, "MAINPID=%d" % new_pid)
                    assert notify.until(lambda t: t.startswith("MAINPID=")) == (new_pid, "MAINPID=%d" % new_pid)
                    time.sleep(max(0.0, 1.0 - (time.monotonic() - term_at)))  # a phase of 1 s at least
                    load.phase("promoted")
                    time.sleep(1.5)
                summary = load.summary()
                print("summary", summary, "retried", dict(getattr(load, "retried", {})))
                assert load.failures() == {}, summary
                assert sum(getattr(load, "retried", {}).values()) == 0, summary
                for phase in ("start", "usr2", "term-old", "promoted"):
                    assert load.ok(phase) >= 50, summary
                with open(pidfile) as f:
                    assert int(f.read()) == new_pid
                assert one_request(srv.port, "/", 5) == "ok"
            finally:
                if new_pid:
                    os.kill(new_pid, signal.SIGTERM)
                    wait_for(lambda: not os.path.exists(pidfile), timeout=15)
    finally:
        notify.close()
