"""The coro worker (-k coro; -k gevent and friends select it): the shared
engine and the app on one thread, one greenlet per request under gevent.
What it shares with gthread (keep-alive, pipelining, signals, max_requests
...) is in test_engine.py."""
import json
import os
import time

import pytest

from engine_client import HAVE_GEVENT, Reader, connect, get, in_parallel, replaced, request
from server import Server, run_binary, wait_for

needs_gevent = pytest.mark.skipif(not HAVE_GEVENT, reason="gevent not installed")


def concurrent(srv, path, n):
    return in_parallel(lambda: request(srv, path, timeout=20)[0], n)


@needs_gevent
def test_hundred_concurrent_sleeps_on_one_coro_worker():
    with Server("-k", "coro", "-w", "1", "testapp:app") as srv:
        assert request(srv, "/")[0] == 200
        results, elapsed = concurrent(srv, "/slow?t=0.5", 100)
        assert results == [200] * 100
        assert elapsed < 2.0, elapsed
        # All on one process: the worker's pid in every answer.
        assert len(srv.workers()) == 1
        assert "gevent is not importable" not in srv.log_text()


@needs_gevent
def test_greenlets_are_multithread_and_patched():
    with Server("-k", "coro", "testapp:app") as srv:
        status, _, body = request(srv, "/environ")
        env = json.loads(body)
        assert status == 200
        assert env["wsgi.multithread"] is True


def test_large_streamed_response_to_a_slow_reader_does_not_block_others():
    # 8 MB does not fit the socket buffers: the greenlet waits in gevent.
    with Server("-k", "coro", "testapp:app") as srv:
        with connect(srv) as slow:
            slow.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (8 << 20)
                         + b"x" * (8 << 20))
            time.sleep(0.5)
            if HAVE_GEVENT:
                t0 = time.monotonic()
                assert request(srv, "/")[0] == 200
                assert time.monotonic() - t0 < 1.0
            status, _, body = Reader(slow).response()
            assert status == 200 and len(body) == 8 << 20


@pytest.mark.parametrize("klass", ["gevent", "gevent_wsgi", "gevent_pywsgi", "egg:gunicorn#gevent",
                                   "gunicorn.workers.ggevent.GeventWorker"])
def test_gevent_classes_select_coro(klass):
    with Server("-k", klass, "testapp:app") as srv:
        assert "Using worker: coro" in srv.log_text()
        assert request(srv, "/")[0] == 200


@pytest.mark.parametrize("klass", ["eventlet", "tornado", "uvicorn.workers.UvicornWorker", "nope"])
def test_unknown_worker_class_is_a_clear_error(klass):
    rc, out = run_binary("-k", klass, "-b", "127.0.0.1:0", "testapp:app")
    assert rc == 1, out
    assert "Error: class uri '%s' invalid or not found" % klass in out
    assert "sync, gthread, coro" in out
    assert "Booting worker" not in out


def test_without_gevent_requests_run_one_after_another(tmp_path):
    fake = tmp_path / "gevent"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('No module named gevent (test)')\n")
    env = {"PYTHONPATH": str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with Server("-k", "coro", "testapp:app", env=env) as srv:
        assert wait_for(lambda: "gevent is not importable" in srv.log_text(), 5)
        results, elapsed = concurrent(srv, "/slow?t=0.3", 3)
        assert results == [200] * 3
        assert elapsed >= 0.85, elapsed  # serial
        with connect(srv) as s:  # keep-alive still works
            r = Reader(s)
            for _ in range(2):
                s.sendall(get("/"))
                assert r.response()[0] == 200


@needs_gevent
def test_request_timeout_of_a_waiting_greenlet_recycles_and_drains():
    # The stuck request sleeps (the hub runs): its greenlet's stack is logged,
    # the worker stops accepting, a request in flight meanwhile still finishes,
    # the stuck one is dropped after graceful_timeout and a new worker serves.
    with Server("-k", "coro", "--request-timeout", "2", "--graceful-timeout", "3",
                "testapp:app") as srv:
        (first,) = wait_for(srv.workers)
        stuck = connect(srv, timeout=30)
        stuck.sendall(get("/slow?t=30"))
        time.sleep(1.0)
        other = connect(srv, timeout=30)
        other.sendall(get("/slow?t=1.5"))
        assert wait_for(lambda: "Request exceeded request_timeout (2s)" in srv.log_text(), 5)
        log = wait_for(lambda: "time.sleep" in srv.log_text() and srv.log_text(), 5)
        assert "Traceback (most recent call last):" in log
        assert "GET /slow?t=30; recycling the worker" in log
        assert "testapp.py" in log and "in app" in log
        rother = Reader(other)
        status, headers, body = rother.response()
        assert status == 200 and body.startswith(b"slept")
        assert rother.closed(5)  # in flight at the stop: answered, then closed
        assert wait_for(lambda: replaced(srv, first), 15)
        assert Reader(stuck).closed(5)
        assert "still running after graceful_timeout" in srv.log_text()
        assert request(srv, "/")[0] == 200
        assert "WORKER TIMEOUT" not in srv.log_text()
        stuck.close()
        other.close()


@needs_gevent
def test_request_timeout_of_a_greenlet_blocking_the_hub():
    # A CPU loop never yields: the hub (and its timers) is blocked, so the
    # watchdog thread reports the stack and ends the worker itself, long
    # before the arbiter's heartbeat timeout (30 s) would.
    with Server("-k", "coro", "--request-timeout", "1", "--graceful-timeout", "1",
                "testapp:app") as srv:
        (first,) = wait_for(srv.workers)
        stuck = connect(srv, timeout=30)
        stuck.sendall(get("/spin?t=60"))
        assert wait_for(lambda: "Request exceeded request_timeout (1s)" in srv.log_text(), 5)
        log = wait_for(lambda: "time.monotonic() < end" in srv.log_text() and srv.log_text(), 5)
        assert "Traceback (most recent call last):" in log
        assert "GET /spin?t=60; recycling the worker" in log
        assert "testapp.py" in log and "in app" in log
        t0 = time.monotonic()
        assert wait_for(lambda: replaced(srv, first), 15)
        assert time.monotonic() - t0 < 10
        assert Reader(stuck).closed(5)
        assert "1 request(s) still running after graceful_timeout" in srv.log_text()
        assert request(srv, "/")[0] == 200
        assert "WORKER TIMEOUT" not in srv.log_text()
        stuck.close()


@needs_gevent
def test_requests_within_request_timeout_are_untouched():
    with Server("-k", "coro", "--request-timeout", "2", "testapp:app") as srv:
        (first,) = wait_for(srv.workers)
        results, elapsed = concurrent(srv, "/slow?t=0.5", 50)
        assert results == [200] * 50
        time.sleep(2.5)  # the watchdog has looked more than ten times since
        assert srv.workers() == [first]
        assert "request_timeout" not in srv.log_text()


def sleep_json(srv, path, timeout=10):
    status, _, body = request(srv, path, timeout=timeout)
    assert status == 200, (status, body)
    return json.loads(body)


@needs_gevent
def test_time_sleep_in_a_greenlet_wakes_on_time():
    # libev sleeps at least 1 ms once a timer is near, so 100 sleeps of
    # 0.2 ms took at least 100 ms on gevent's time.sleep; the worker's own
    # time.sleep (the engine's timerfd) takes about 0.2-0.3 ms each.
    with Server("-k", "coro", "-w", "1", "sleep_app:app") as srv:
        best = min(sleep_json(srv, "/short?n=100&t=0.0002")["elapsed"] for _ in range(3))
        assert 0.02 <= best < 0.07, best
        # Long sleeps are neither cut short nor much late.
        slept = sleep_json(srv, "/short?n=1&t=0.3")["elapsed"]
        assert 0.3 <= slept < 0.45, slept


@needs_gevent
def test_time_sleep_bound_at_import_is_cooperative():
    with Server("-k", "coro", "-w", "1", "sleep_app:app") as srv:
        assert sleep_json(srv, "/bound?t=0")["same"] is True
        results, elapsed = in_parallel(lambda: sleep_json(srv, "/bound?t=0.5", timeout=20)["elapsed"], 50)
        assert len(results) == 50 and min(results) >= 0.5
        assert elapsed < 2.5, elapsed


@needs_gevent
def test_a_sleep_cut_short_by_gevent_timeout_never_wakes_its_greenlet_later():
    # The greenlet of the cut sleep goes on to other requests; had its timer
    # still fired, it would have been switched into in the middle of one.
    with Server("-k", "coro", "-w", "1", "sleep_app:app") as srv:
        out = sleep_json(srv, "/timeout?t=0.6&cut=0.05")
        assert 0.05 <= out["cut"] < 0.3, out
        assert 0.05 <= out["after"] < 0.2, out
        deadline = time.monotonic() + 1.2  # past the cut sleep's 0.6 s
        served = 0
        while time.monotonic() < deadline:
            results, _ = concurrent(srv, "/short?n=3&t=0.01", 10)
            assert results == [200] * 10
            served += 10
        assert served >= 30
        assert "Traceback" not in srv.log_text()
        assert len(srv.workers()) == 1


@needs_gevent
def test_time_sleep_arguments_behave_as_before():
    # 0 and negative yield (gevent); not a number is a TypeError; NaN and
    # infinity raise as CPython's time.sleep does (gevent's would hang).
    with Server("-k", "coro", "-w", "1", "sleep_app:app") as srv:
        out = sleep_json(srv, "/args")
        assert out == {"zero": 0.0, "negative": 0.0, "int": 1.0, "text": "TypeError",
                       "nan": "ValueError", "inf": "OverflowError"}, out
