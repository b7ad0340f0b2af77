"""wsgi.file_wrapper on the coro worker: sendfile(2) on the non-blocking
socket, the greenlet waiting in gevent while the socket is full."""
import os
import socket
import time

import pytest

from server import Server, wait_for
from test_coro import needs_gevent
from engine_client import connect, get

SIZE = 40 << 20  # far more than the socket buffers hold


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sendfile") / "big.bin"
    block = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for i in range(SIZE >> 20):
            f.write(bytes([i]) + block[1:])  # each MiB differs from the others
    with open(path, "rb") as f:
        return str(path), f.read()


class BigReader:
    """Responses with large bodies (test_gthread.Reader copies its buffer per recv)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.pos = 0

    def _need(self, n):
        while len(self.buf) - self.pos < n:
            data = self.sock.recv(1 << 20)
            if not data:
                raise EOFError("connection closed")
            self.buf += data

    def _line(self):
        while (end := self.buf.find(b"\r\n", self.pos)) < 0:
            self._need(len(self.buf) - self.pos + 1)
        line = bytes(self.buf[self.pos:end])
        self.pos = end + 2
        return line

    def _take(self, n):
        self._need(n)
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out

    def response(self):
        status = int(self._line().split()[1])
        headers = {}
        while line := self._line():
            k, v = line.decode("latin-1").split(":", 1)
            headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = self._take(int(headers["content-length"]))
        else:
            assert headers.get("transfer-encoding") == "chunked", headers
            parts = []
            while size := int(self._line(), 16):
                parts.append(self._take(size))
                assert self._take(2) == b"\r\n"
            assert self._line() == b""
            body = b"".join(parts)
        del self.buf[:self.pos]
        self.pos = 0
        return status, headers, body


def download(s, path, reader=None):
    s.sendall(get(path))
    return (reader or BigReader(s)).response()


@needs_gevent
def test_large_file_and_ranges_set_by_the_app(big_file):
    path, data = big_file
    with Server("-k", "coro", "testapp:app", env={"FILE_TO_SERVE": path}) as srv:
        with connect(srv, timeout=30) as s:
            r = BigReader(s)
            status, headers, body = download(s, "/download", r)
            assert status == 200 and headers["transfer-encoding"] == "chunked"
            assert body == data
            # Ranges the app sets with Content-Length, on the same keep-alive connection.
            for offset, length in [(12345, (20 << 20) + 7), (SIZE - 10, 10), (0, 1), (5 << 20, 0)]:
                status, headers, body = download(s, "/download?offset=%d&length=%d" % (offset, length), r)
                assert status == 200 and headers["content-length"] == str(length)
                assert headers["connection"] == "keep-alive"
                assert body == data[offset:offset + length]


@needs_gevent
def test_a_slow_reader_does_not_block_other_downloads(big_file):
    path, data = big_file
    with Server("-k", "coro", "testapp:app", env={"FILE_TO_SERVE": path}) as srv:
        slow = connect(srv, timeout=30)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        slow.sendall(get("/download"))
        time.sleep(0.5)  # its greenlet now waits for the socket to drain
        t0 = time.monotonic()
        with connect(srv, timeout=30) as fast:
            status, headers, body = download(fast, "/download?offset=%d&length=%d" % (3 << 20, 8 << 20))
            assert body == data[3 << 20:11 << 20]
        assert time.monotonic() - t0 < 5.0
        # The slow client still gets every byte afterwards.
        status, headers, body = BigReader(slow).response()
        assert status == 200 and body == data
        slow.close()


@needs_gevent
def test_client_gone_mid_file_closes_the_file_and_the_worker_goes_on(big_file, tmp_path):
    path, data = big_file
    marker = tmp_path / "closed.txt"
    with Server("-k", "coro", "testapp:app", env={"FILE_TO_SERVE": path, "CLOSE_MARKER": str(marker)}) as srv:
        (pid,) = wait_for(srv.workers)
        s = connect(srv, timeout=30)
        s.sendall(get("/download?tag=gone"))
        assert len(s.recv(65536)) > 0
        s.close()  # unread bytes: the kernel resets the connection
        assert wait_for(lambda: marker.exists() and "closed gone" in marker.read_text(), 10)
        with connect(srv, timeout=30) as s2:
            status, _, body = download(s2, "/download?offset=100&length=1000&tag=next")
            assert status == 200 and body == data[100:1100]
        assert wait_for(lambda: "closed next" in marker.read_text(), 5)
        assert srv.workers() == [pid]
        assert "Traceback" not in srv.log_text()
