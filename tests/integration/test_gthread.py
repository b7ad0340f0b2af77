"""The gthread worker on the shared connection engine: concurrency, keep-alive,
pipelining, idle-connection cost, worker_connections, signals, request_timeout."""
import json
import resource
import signal
import socket
import threading
import time

import pytest

from server import Server, wait_for


def raise_nofile(want=8192):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(max(soft, want), hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def connect(srv, timeout=10):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    return s


class Reader:
    """Reads HTTP/1.x responses off one socket, one at a time."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def response(self, head_only=False):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        if head_only or status == 100:
            return status, headers, b""
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(self.buf) < n:
                self._fill()
            body, self.buf = self.buf[:n], self.buf[n:]
        elif headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    self._fill()
                size_line, self.buf = self.buf.split(b"\r\n", 1)
                size = int(size_line, 16)
                while len(self.buf) < size + 2:
                    self._fill()
                body += self.buf[:size]
                self.buf = self.buf[size + 2:]
                if size == 0:
                    break
        else:
            try:
                while True:
                    self._fill()
            except EOFError:
                pass
            body, self.buf = self.buf, b""
        return status, headers, body

    def closed(self, timeout):
        """True when the peer closes within `timeout` seconds (no bytes first)."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True


def get(path="/", version="1.1", extra=""):
    return ("GET %s HTTP/%s\r\nHost: x\r\n%s\r\n" % (path, version, extra)).encode()


def request(srv, path="/", timeout=10):
    with connect(srv, timeout) as s:
        s.sendall(get(path, extra="Connection: close\r\n"))
        return Reader(s).response()


def replaced(srv, old):
    """A worker other than `old` is running (one snapshot of the children)."""
    pids = srv.workers()
    return bool(pids) and old not in pids


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_hundred_concurrent_sleeps_run_in_parallel():
    with Server("-k", "gthread", "--threads", "100", "testapp:app") as srv:
        assert request(srv, "/")[0] == 200
        results = []

        def one():
            results.append(request(srv, "/slow?t=0.5", timeout=20)[0])

        threads = [threading.Thread(target=one) for _ in range(100)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        elapsed = time.monotonic() - t0
        assert results == [200] * 100
        assert elapsed < 2.0, elapsed


def test_sync_with_threads_becomes_gthread_and_is_multithread():
    with Server("--threads", "2", "testapp:app") as srv:
        status, _, body = request(srv, "/environ")
        env = json.loads(body)
        assert status == 200
        assert env["wsgi.multithread"] is True
        assert env["wsgi.multiprocess"] is False


def test_keepalive_http11_and_http10_with_header():
    with Server("-k", "gthread", "--threads", "2", "testapp:app") as srv:
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


def test_idle_keepalive_connection_closed_after_keepalive_seconds():
    with Server("-k", "gthread", "--keep-alive", "1", "testapp:app") as srv:
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(get("/"))
            assert r.response()[0] == 200
            t0 = time.monotonic()
            assert r.closed(5)
            elapsed = time.monotonic() - t0
            assert 0.8 < elapsed < 2.5, elapsed


def test_keepalive_zero_closes_every_response():
    with Server("-k", "gthread", "--keep-alive", "0", "testapp:app") as srv:
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(get("/"))
            assert r.response()[1]["connection"] == "close"
            assert r.closed(2)


def test_fifty_pipelined_requests_answered_in_order():
    with Server("-k", "gthread", "--threads", "4", "testapp:app") as srv:
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


def test_expect_100_continue():
    with Server("-k", "gthread", "testapp:app") as srv:
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            assert r.response()[0] == 100
            s.sendall(b"hello")
            assert r.response()[2] == b"hello"


def test_app_error_is_500_and_closes():
    with Server("-k", "gthread", "testapp:app") as srv:
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(get("/error"))
            status, headers, _ = r.response()
            assert status == 500
            assert r.closed(2)
        assert "boom from the test app" in srv.log_text()
        assert request(srv, "/")[0] == 200


def test_bad_request_gets_error_page_after_valid_pipelined_one():
    with Server("-k", "gthread", "testapp:app") as srv:
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(get("/") + b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
            assert r.response()[0] == 200
            assert r.response()[0] == 400
            assert r.closed(2)


def test_idle_keepalive_connections_do_not_stop_a_new_client():
    n = 1000
    raise_nofile(n + 500)
    with Server("-k", "gthread", "--threads", "4", "--worker-connections", "2000",
                "--keep-alive", "60", "testapp:app") as srv:
        socks = []
        try:
            for _ in range(n):
                s = connect(srv)
                s.sendall(get("/"))
                socks.append(s)
            for s in socks:
                assert Reader(s).response()[0] == 200
            t0 = time.monotonic()
            status, _, body = request(srv, "/")
            assert status == 200 and body == b"hello"
            assert time.monotonic() - t0 < 1.0
            # ...and the idle ones are still usable.
            socks[0].sendall(get("/"))
            assert Reader(socks[0]).response()[0] == 200
        finally:
            for s in socks:
                s.close()


def test_rss_of_a_worker_holding_1000_idle_connections_grows_under_2mb():
    n = 1000
    raise_nofile(n + 500)
    with Server("-k", "gthread", "--threads", "4", "--worker-connections", "2000",
                "--keep-alive", "60", "testapp:app") as srv:
        (worker,) = wait_for(srv.workers)
        for _ in range(200):  # warm up allocator, Python and the engine's pools
            request(srv, "/")
        warm = []
        for _ in range(50):
            s = connect(srv)
            s.sendall(get("/"))
            warm.append(s)
        for s in warm:
            Reader(s).response()
            s.close()
        time.sleep(0.3)
        before = rss_kb(worker)
        socks = []
        try:
            for i in range(n):
                s = connect(srv)
                s.sendall(get("/"))
                Reader(s).response()
                socks.append(s)
            time.sleep(0.3)
            after = rss_kb(worker)
        finally:
            for s in socks:
                s.close()
        grown = after - before
        print("RSS before %d kB, with %d idle connections %d kB (+%d kB)" % (before, n, after, grown))
        assert grown < 2048, grown


def test_worker_connections_pauses_accepting():
    with Server("-k", "gthread", "--threads", "1", "--worker-connections", "2",
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


def test_term_drains_in_flight_request_and_closes_idle_connections():
    with Server("-k", "gthread", "--threads", "4", "--keep-alive", "30", "testapp:app") as srv:
        idle = connect(srv)
        idle.sendall(get("/"))
        ridle = Reader(idle)
        assert ridle.response()[0] == 200
        busy = connect(srv)
        busy.sendall(get("/slow?t=1"))
        time.sleep(0.3)
        srv.signal(signal.SIGTERM)
        assert ridle.closed(1.0)  # idle keep-alive closed at once
        rbusy = Reader(busy)
        status, headers, body = rbusy.response()
        assert status == 200 and body.startswith(b"slept")
        assert rbusy.closed(2)  # then closed (its head was written before TERM, as in gunicorn)
        assert srv.wait_exit(10) == 0


def test_quit_is_quick_even_with_a_request_running():
    with Server("-k", "gthread", "testapp:app") as srv:
        s = connect(srv)
        s.sendall(get("/slow?t=10"))
        time.sleep(0.3)
        t0 = time.monotonic()
        srv.signal(signal.SIGQUIT)
        assert srv.wait_exit(5) is not None
        assert time.monotonic() - t0 < 3
        s.close()


def test_max_requests_recycles_the_worker():
    with Server("-k", "gthread", "--max-requests", "3", "testapp:app") as srv:
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


def test_proxy_protocol_header_on_first_request_only():
    with Server("-k", "gthread", "--proxy-protocol", "v1", "--proxy-allow-from", "127.0.0.1",
                "testapp:app") as srv:
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(b"PROXY TCP4 192.0.2.7 198.51.100.1 4242 80\r\n" + get("/environ"))
            env = json.loads(r.response()[2])
            assert env["REMOTE_ADDR"] == "192.0.2.7"
            s.sendall(get("/environ"))
            env = json.loads(r.response()[2])
            assert env["REMOTE_ADDR"] == "192.0.2.7"


def test_request_timeout_logs_traceback_and_replaces_worker():
    with Server("-k", "gthread", "--threads", "2", "--request-timeout", "1",
                "--graceful-timeout", "2", "testapp:app") as srv:
        (first,) = wait_for(srv.workers)
        s = connect(srv, timeout=30)
        s.sendall(get("/slow?t=30"))
        assert wait_for(lambda: "Request exceeded request_timeout" in srv.log_text(), 5)
        log = wait_for(lambda: "time.sleep" in srv.log_text() and srv.log_text(), 5)
        assert "Traceback (most recent call last):" in log
        assert "GET /slow?t=30" in log
        assert "testapp.py" in log and "in app" in log
        # Another request meanwhile still gets served (by this worker or the next).
        assert wait_for(lambda: replaced(srv, first), 10)
        assert request(srv, "/")[0] == 200
        s.close()
