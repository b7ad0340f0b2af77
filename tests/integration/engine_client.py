"""Client helpers for the tests of the connection engine's worker classes
(gthread, coro): raw keep-alive sockets and a small HTTP/1.x response reader."""
import resource
import socket
import threading
import time

try:
    import gevent  # noqa: F401  (the server embeds the same /usr/bin/python3)
    HAVE_GEVENT = True
except ImportError:
    HAVE_GEVENT = False


def in_parallel(call, n, join_timeout=30):
    """call() on n threads at once: (the results, seconds until all ended)."""
    results = []
    threads = [threading.Thread(target=lambda: results.append(call())) for _ in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(join_timeout)
    return results, time.monotonic() - t0


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
