"""Behaviour of the shared connection engine (workers/engine/), the same on
each worker class that runs on it: keep-alive (HTTP/1.1, HTTP/1.0 with the
header, idle timeout, keepalive 0), pipelining, 100-continue, error pages,
worker_connections back-pressure, heartbeat, TERM drain, QUIT, max_requests.
Class-specific tests stay in test_gthread.py and test_coro.py."""
import signal
import socket
import time

import pytest

from engine_client import HAVE_GEVENT, Reader, connect, get, replaced, request
from server import Server, wait_for


@pytest.fixture(params=["gthread", "coro"])
def klass(request):
    return request.param


def worker(klass, threads=None):
    """The command-line flags for `klass` (gthread with `threads` threads)."""
    args = ["-k", klass]
    if klass == "gthread" and threads:
        args += ["--threads", str(threads)]
    return args


def test_keepalive_http11_and_http10_with_header(klass):
    with Server(*worker(klass, 2), "testapp:app") as srv:
        with connect(srv) as s:
            r = Reader(s)
            for _ in range(3):
                s.sendall(get("/pid"))
                status, headers, _ = r.response()
                assert status == 200 and headers["connection"] == "keep-alive"
        with connect(srv) as s:
            r = Reader(s)
            for _ in range(3):
                s.sendall(get("/pid", "1.0", "Connection: keep-alive\r\n"))
                status, headers, _ = r.response()
                assert status == 200 and headers["connection"] == "keep-alive"
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(get("/pid", "1.0"))
            status, headers, _ = r.response()
            assert headers["connection"] == "close"
            assert r.closed(2)
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(get("/pid", extra="Connection: close\r\n"))
            assert r.response()[1]["connection"] == "close"
            assert r.closed(2)


def test_idle_keepalive_connection_closed_after_keepalive_seconds(klass):
    with Server(*worker(klass), "--keep-alive", "1", "testapp:app") as srv:
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(get("/"))
            assert r.response()[0] == 200
            t0 = time.monotonic()
            assert r.closed(5)
            elapsed = time.monotonic() - t0
            assert 0.8 < elapsed < 2.5, elapsed


def test_keepalive_zero_closes_every_response(klass):
    with Server(*worker(klass), "--keep-alive", "0", "testapp:app") as srv:
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(get("/"))
            assert r.response()[1]["connection"] == "close"
            assert r.closed(2)


def test_fifty_pipelined_requests_answered_in_order(klass):
    with Server(*worker(klass, 4), "testapp:app") as srv:
        reqs = b""
        for i in range(50):
            body = b"req-%d" % i
            if i % 3 == 2:  # some chunked bodies, whose bytes after the terminator are the next request
                reqs += (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            else:
                reqs += b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        with connect(srv) as s:
            s.sendall(reqs)
            r = Reader(s)
            bodies = [r.response()[2] for _ in range(50)]
        assert bodies == [b"req-%d" % i for i in range(50)]


def test_expect_100_continue(klass):
    with Server(*worker(klass), "testapp:app") as srv:
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            assert r.response()[0] == 100
            s.sendall(b"hello")
            assert r.response()[2] == b"hello"


def test_app_error_is_500_and_closes(klass):
    with Server(*worker(klass), "testapp:app") as srv:
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(get("/error"))
            status, headers, _ = r.response()
            assert status == 500
            assert r.closed(2)
        assert "boom from the test app" in srv.log_text()
        assert request(srv, "/")[0] == 200


def test_bad_request_gets_error_page_after_valid_pipelined_one(klass):
    with Server(*worker(klass), "testapp:app") as srv:
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(get("/") + b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
            assert r.response()[0] == 200
            assert r.response()[0] == 400
            assert r.closed(2)


def test_worker_connections_pauses_accepting(klass):
    if klass == "coro" and not HAVE_GEVENT:
        pytest.skip("gevent not installed")
    with Server(*worker(klass, 1), "--worker-connections", "2",
                "--keep-alive", "30", "testapp:app") as srv:
        a, b = connect(srv), connect(srv)  # silent: both count until they close
        time.sleep(0.3)
        c = connect(srv, timeout=5)  # the kernel accepts; the worker does not yet
        c.sendall(get("/"))
        rc = Reader(c)
        c.settimeout(0.7)
        with pytest.raises(socket.timeout):
            rc.response()
        a.close()
        c.settimeout(5)
        assert rc.response()[0] == 200
        b.close()
        c.close()


def keepalive_connections(srv, n):
    """n connections, each idle after one answered keep-alive request: [(socket, Reader)]."""
    conns = []
    for _ in range(n):
        s = connect(srv)
        s.sendall(get("/"))
        r = Reader(s)
        assert r.response()[0] == 200
        conns.append((s, r))
    return conns


def test_term_drains_in_flight_request_and_serves_idle_connections_until_keepalive(klass):
    # As gunicorn's gevent worker: an idle keep-alive connection of a stopping
    # worker keeps its `keepalive` deadline; a request arriving on it is served
    # with Connection: close (closing it at TERM would race a client sending).
    with Server(*worker(klass, 4), "--keep-alive", "2", "testapp:app") as srv:
        conns = keepalive_connections(srv, 2)
        (used, rused), (unused, runused) = conns
        idle_since = time.monotonic()
        busy = connect(srv)
        busy.sendall(get("/slow?t=1"))
        time.sleep(0.3)
        srv.signal(signal.SIGTERM)
        assert not rused.closed(0.8)  # still open after TERM
        used.sendall(get("/pid"))
        status, headers, _ = rused.response()
        assert status == 200 and headers["connection"] == "close"
        assert rused.closed(2)
        rbusy = Reader(busy)
        status, headers, body = rbusy.response()
        assert status == 200 and body.startswith(b"slept")
        # Its head, written before TERM, promised keep-alive: the next request
        # is still answered (gunicorn's gthread closes here, racing the client).
        busy.sendall(get("/pid"))
        status, headers, _ = rbusy.response()
        assert status == 200 and headers["connection"] == "close"
        assert rbusy.closed(2)
        assert runused.closed(5)  # the unused one at its keepalive deadline
        waited = time.monotonic() - idle_since
        assert 1.7 < waited < 3.0, waited
        assert srv.wait_exit(10) == 0


def test_a_long_keepalive_delays_the_stop_by_two_seconds_at_most(klass):
    # nginx's upstream pools keep connections idle for long: a stop must not
    # wait for them up to graceful_timeout, yet a request on one within the
    # linger is still answered.
    with Server(*worker(klass), "--keep-alive", "60", "testapp:app") as srv:
        conns = keepalive_connections(srv, 2)
        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        time.sleep(1.0)
        (used, rused), (_, runused) = conns
        used.sendall(get("/pid"))
        status, headers, _ = rused.response()
        assert status == 200 and headers["connection"] == "close"
        assert runused.closed(5)
        assert 1.5 < time.monotonic() - t0 < 3.5
        assert srv.wait_exit(5) == 0


def test_graceful_timeout_caps_how_long_idle_connections_delay_the_stop(klass):
    with Server(*worker(klass), "--keep-alive", "60", "--graceful-timeout", "1", "testapp:app") as srv:
        s = connect(srv)
        s.sendall(get("/"))
        r = Reader(s)
        assert r.response()[0] == 200
        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        assert r.closed(6)
        assert time.monotonic() - t0 < 1.8  # graceful_timeout, before the 2 s linger
        assert srv.wait_exit(6) == 0


def test_quit_is_quick_even_with_a_request_running(klass):
    with Server(*worker(klass), "testapp:app") as srv:
        s = connect(srv)
        s.sendall(get("/slow?t=10"))
        time.sleep(0.3)
        t0 = time.monotonic()
        srv.signal(signal.SIGQUIT)
        assert srv.wait_exit(5) is not None
        assert time.monotonic() - t0 < 3
        s.close()


def test_max_requests_recycles_the_worker(klass):
    with Server(*worker(klass), "--max-requests", "3", "testapp:app") as srv:
        (first,) = wait_for(srv.workers)
        with connect(srv) as s:
            r = Reader(s)
            for i in range(3):
                s.sendall(get("/pid"))
                status, headers, _ = r.response()
                assert status == 200
            assert headers["connection"] == "close"
        assert wait_for(lambda: replaced(srv, first), 10)
        assert "Autorestarting worker after current request." in srv.log_text()


def test_heartbeat_keeps_an_idle_worker_alive(klass):
    with Server(*worker(klass), "--timeout", "2", "testapp:app") as srv:
        (first,) = wait_for(srv.workers)
        time.sleep(3.5)
        assert srv.workers() == [first]
        assert request(srv, "/")[0] == 200
