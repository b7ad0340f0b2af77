"""statsd: gunicorn's metric names and types, counted against the requests sent,
and the same request datagrams as Debian's gunicorn 20.1 for the same traffic."""
import collections
import os
import re
import socket
import tempfile
import time

import pytest

from server import Server, wait_for
from test_logging import GUNICORN, Gunicorn, send_raw

TRAFFIC = [b"GET / HTTP/1.0\r\n\r\n"] * 5 + [b"GET /notfound HTTP/1.0\r\n\r\n"] * 3 + \
          [b"GET /error HTTP/1.0\r\n\r\n"] * 2


class Listener:
    """A UDP (or unix datagram) socket collecting statsd datagrams."""

    def __init__(self, unix_path=None):
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.sock.bind(unix_path)
            self.address = "unix://" + unix_path
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1", 0))
            self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.received = []

    def drain(self, until=None, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.received.append(self.sock.recv(65536).decode())
            except socket.timeout:
                if until is None or until(self.received):
                    break
        return self.received

    def close(self):
        self.sock.close()


def count_requests(received):
    return sum(1 for d in received if ".requests:" in d or d.startswith("gunicorn.requests:"))


def request_metrics(received, prefix=""):
    """Request datagrams with the duration value masked, as a multiset."""
    out = collections.Counter()
    for d in received:
        if re.match(re.escape(prefix) + r"gunicorn\.request", d):
            out[re.sub(r"duration:[0-9.]+\|ms", "duration:X|ms", d)] += 1
    return out


def test_request_metrics_add_up():
    udp = Listener()
    try:
        with Server("-w", "2", "--statsd-host", udp.address, "--statsd-prefix", "app",
                    "--dogstatsd-tags", "env:test,team:web", "logging_app:app") as srv:
            srv.wait_ready(workers=2)
            for raw in TRAFFIC:
                send_raw(srv.port, raw)
            got = udp.drain(until=lambda r: count_requests(r) >= len(TRAFFIC))
    finally:
        udp.close()
    tags = "|#env:test,team:web"
    assert all(d.endswith(tags) for d in got), got
    names = collections.Counter(d[:-len(tags)] for d in got if "duration" not in d)
    assert names["app.gunicorn.requests:1|c|@1.0"] == len(TRAFFIC)
    assert names["app.gunicorn.request.status.201:1|c|@1.0"] == 5
    assert names["app.gunicorn.request.status.404:1|c|@1.0"] == 3
    assert names["app.gunicorn.request.status.500:1|c|@1.0"] == 2
    assert names["app.gunicorn.log.exception:1|c|@1.0"] == 2
    assert names["app.gunicorn.workers:2|g"] >= 1
    durations = [d for d in got if "duration" in d]
    assert len(durations) == len(TRAFFIC)
    assert all(re.fullmatch(r"app\.gunicorn\.request\.duration:\d+\.\d+\|ms" + re.escape(tags), d)
               for d in durations), durations


def test_unix_datagram_socket_and_log_counters(tmp_path):
    path = str(tmp_path / "statsd.sock")
    listener = Listener(unix_path=path)
    try:
        with Server("--statsd-host", listener.address, "logging_app:app") as srv:
            send_raw(srv.port, b"GET / HTTP/1.0\r\n\r\n")
            send_raw(srv.port, b"GET /x HTTP/1.1\r\n\r\n")  # 400: no Host on HTTP/1.1 -> warning
            got = listener.drain(until=lambda r: count_requests(r) >= 1)
    finally:
        listener.close()
    assert "gunicorn.requests:1|c|@1.0" in got
    assert "gunicorn.request.status.201:1|c|@1.0" in got


@pytest.mark.skipif(not os.path.exists(GUNICORN), reason="Debian's gunicorn is not installed")
def test_same_request_datagrams_as_gunicorn():
    ours_udp, theirs_udp = Listener(), Listener()
    try:
        with Server("--statsd-host", ours_udp.address, "--statsd-prefix", "svc.", "logging_app:app") as ours, \
                Gunicorn("--statsd-host", theirs_udp.address, "--statsd-prefix", "svc.",
                         "logging_app:app") as theirs:
            for raw in TRAFFIC:
                send_raw(ours.port, raw)
                send_raw(theirs.port, raw)
            ours_got = ours_udp.drain(until=lambda r: count_requests(r) >= len(TRAFFIC))
            theirs_got = theirs_udp.drain(until=lambda r: count_requests(r) >= len(TRAFFIC))
    finally:
        ours_udp.close()
        theirs_udp.close()
    assert request_metrics(ours_got, "svc.") == request_metrics(theirs_got, "svc.")
    assert request_metrics(ours_got, "svc.")["svc.gunicorn.requests:1|c|@1.0"] == len(TRAFFIC)
    exc = "svc.gunicorn.log.exception:1|c|@1.0"
    assert ours_got.count(exc) == theirs_got.count(exc) == 2
