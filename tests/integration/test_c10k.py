"""C10K: one worker holds 10,000 idle keep-alive connections, answers each
twice (when opened, and again once all are open), serves a fresh client
promptly meanwhile, and its RSS grows by a bounded amount. The client side
is non-blocking sockets on one selector in this thread."""
import resource
import selectors
import socket
import time

import pytest

from server import Server, wait_for
from test_coro import needs_gevent
from engine_client import request, rss_kb

N = 10_000
IN_FLIGHT = 500  # connects/requests outstanding at once (the listen backlog is larger)
REQ = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
RSS_BOUND_KB = 40 * 1024


def raise_nofile_or_skip(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < need:
        pytest.skip("RLIMIT_NOFILE hard limit %d < %d" % (hard, need))
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def response_complete(buf):
    """A whole Content-Length framed response is in `buf` (the test app's '/')."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return False
    head = buf[:end].lower()
    at = head.find(b"content-length:")
    assert head.startswith(b"http/1.1 200") and at >= 0, buf[:200]
    n = int(head[at + 15:].split(b"\r\n", 1)[0])
    assert len(buf) <= end + 4 + n, "more than one response"
    return len(buf) == end + 4 + n


def round_trips(sel, socks, port, deadline):
    """Send REQ on each socket (connecting those that are None first) and read
    each response, IN_FLIGHT at a time. Returns the sockets, all answered."""
    pending = list(range(len(socks)))
    pending.reverse()
    bufs = {}
    active = 0
    done = 0
    while done < len(socks):
        assert time.monotonic() < deadline, "only %d of %d answered" % (done, len(socks))
        while pending and active < IN_FLIGHT:
            i = pending.pop()
            if socks[i] is None:
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", port))
                socks[i] = s
                sel.register(s, selectors.EVENT_WRITE, i)
            else:
                socks[i].send(REQ)
                sel.register(socks[i], selectors.EVENT_READ, i)
            bufs[i] = b""
            active += 1
        for key, events in sel.select(timeout=1.0):
            i, s = key.data, key.fileobj
            if events & selectors.EVENT_WRITE:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                assert err == 0, "connect failed: %d" % err
                s.send(REQ)
                sel.modify(s, selectors.EVENT_READ, i)
                continue
            data = s.recv(4096)
            assert data, "connection %d closed by the server" % i
            bufs[i] += data
            if response_complete(bufs[i]):
                sel.unregister(s)
                del bufs[i]
                active -= 1
                done += 1
    return socks


@pytest.mark.parametrize("klass", [pytest.param("coro", marks=needs_gevent), "gthread"])
def test_ten_thousand_idle_keepalive_connections(klass):
    raise_nofile_or_skip(N + 500)
    t_start = time.monotonic()
    deadline = t_start + 50
    extra = ["--threads", "4"] if klass == "gthread" else []
    with Server("-k", klass, "-w", "1", "--worker-connections", "20000", "--keep-alive", "120",
                *extra, "testapp:app") as srv:
        (pid,) = wait_for(srv.workers)
        assert request(srv, "/")[0] == 200
        rss_before = rss_kb(pid)
        sel = selectors.DefaultSelector()
        socks = [None] * N
        try:
            round_trips(sel, socks, srv.port, deadline)
            t_open = time.monotonic() - t_start
            # All 10,000 are open and idle: a new client is still served at once.
            t0 = time.monotonic()
            assert request(srv, "/", timeout=10)[0] == 200
            fresh_latency = time.monotonic() - t0
            grown = rss_kb(pid) - rss_before
            round_trips(sel, socks, srv.port, deadline)
            assert srv.workers() == [pid]
        finally:
            sel.close()
            for s in socks:
                if s is not None:
                    s.close()
        elapsed = time.monotonic() - t_start
        print("\nc10k %s: %d connections answered twice in %.1f s (first round %.1f s), "
              "fresh client %.0f ms, worker RSS +%.1f MB (%.0f bytes/connection)"
              % (klass, N, elapsed, t_open, fresh_latency * 1000, grown / 1024, grown * 1024 / N))
        assert fresh_latency < 2.0, fresh_latency
        assert grown < RSS_BOUND_KB, grown
        assert elapsed < 60, elapsed
