"""A small open-loop load generator that counts every failure.

wrk and ab only count the requests they got an answer to; a connection the
server refused, reset or never answered disappears from their numbers. This
one opens a new connection for every request at a fixed rate, whatever the
server does, and sorts each outcome: ok, refused, reset, timeout, empty (closed
without an answer), bad_status (not 200), short (body shorter than its
Content-Length). Results are kept per phase so a test can tell which signal
caused a failure:

    with LoadGen(port, rate=200) as load:
        time.sleep(1)
        load.phase("hup")
        server.signal(signal.SIGHUP)
        time.sleep(2)
    assert load.failures() == {}
"""
import collections
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

OUTCOMES = ("ok", "refused", "reset", "timeout", "empty", "bad_status", "short", "error")


def one_request(port, path, timeout):
    """Send one GET on a new connection; returns an outcome from OUTCOMES."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except ConnectionRefusedError:
        return "refused"
    except socket.timeout:
        return "timeout"
    except OSError:
        return "error"
    try:
        sock.settimeout(timeout)
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: loadgen\r\nConnection: close\r\n\r\n" % path.encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return "timeout"
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    except OSError:
        return "error"
    finally:
        sock.close()
    if not data:
        return "empty"
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].split(b" ")
    if len(status) < 2 or status[1] != b"200":
        return "bad_status"
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and int(value) != len(body):
            return "short"
    return "ok"


class LoadGen:
    """Open-loop load: `rate` requests per second, every `slow_every`-th one slow."""

    def __init__(self, port, rate=200, slow_every=5, fast_path="/", slow_path="/slow?t=0.02",
                 timeout=15, threads=64):
        self.port = port
        self.interval = 1.0 / rate
        self.slow_every = slow_every
        self.fast_path = fast_path
        self.slow_path = slow_path
        self.timeout = timeout
        self.pool = ThreadPoolExecutor(max_workers=threads)
        self.results = collections.defaultdict(collections.Counter)  # phase -> Counter
        self.lock = threading.Lock()
        self.current = "start"
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.sent = 0

    def phase(self, name):
        """Requests sent from now on count under `name`."""
        self.current = name

    def _record(self, phase, future):
        try:
            outcome = future.result()
        except Exception:  # noqa: BLE001 - counted, never lost
            outcome = "error"
        with self.lock:
            self.results[phase][outcome] += 1

    def _run(self):
        start = time.monotonic()
        while not self.stopping.is_set():
            n = self.sent
            path = self.slow_path if self.slow_every and n % self.slow_every == self.slow_every - 1 \
                else self.fast_path
            phase = self.current
            future = self.pool.submit(one_request, self.port, path, self.timeout)
            future.add_done_callback(lambda f, p=phase: self._record(p, f))
            self.sent += 1
            delay = start + self.sent * self.interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join()
        self.pool.shutdown(wait=True)

    def failures(self):
        """{phase: {outcome: count}} for every non-ok outcome."""
        out = {}
        for phase, counter in self.results.items():
            bad = {k: v for k, v in counter.items() if k != "ok"}
            if bad:
                out[phase] = bad
        return out

    def ok(self, phase=None):
        if phase is not None:
            return self.results[phase]["ok"]
        return sum(c["ok"] for c in self.results.values())

    def summary(self):
        return {phase: dict(c) for phase, c in self.results.items()}

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _read_response(sock, timeout):
    """Read one response from `sock`; returns (outcome, keep_open). 'empty' when
    the connection closed before any byte of it."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return ("empty" if not data else "short"), False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ")
    length = None
    close = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
    if length is None:  # read to EOF
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        close = True
    while length is not None and len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return "short", False
        body += chunk
    if len(status) < 2 or status[1] != b"200":
        return "bad_status", not close
    return "ok", not close


class KeepAliveLoadGen(LoadGen):
    """The same open-loop pacing over persistent HTTP/1.1 connections: `conns`
    client threads each reuse their connection until the server closes it.

    As every HTTP client does (RFC 9112 9.3.1), a request sent on a *reused*
    connection that the server closed before answering with a single byte is
    retried once on a new connection and counted under "retried", not as a
    failure: the server may close an idle keep-alive connection at any time.
    A reset or a partial answer, or any failure on a fresh connection, counts."""

    def __init__(self, port, rate=200, conns=8, path="/", timeout=15):
        super().__init__(port, rate=rate, slow_every=0, fast_path=path, timeout=timeout, threads=1)
        self.conns = conns
        self.interval = conns / rate
        self.threads = []
        self.retried = collections.Counter()

    def _exchange(self, sock):
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: loadgen\r\n\r\n" % self.fast_path.encode())
        return _read_response(sock, self.timeout)

    def _one(self, sock):
        """One request; returns (outcome, socket to reuse or None)."""
        for attempt in range(2):
            reused = sock is not None
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
                outcome, keep = self._exchange(sock)
            except ConnectionRefusedError:
                return "refused", None
            except socket.timeout:
                outcome, keep = "timeout", False
            except (ConnectionResetError, BrokenPipeError):
                outcome, keep = ("empty" if reused else "reset"), False
            except OSError:
                outcome, keep = "error", False
            if not keep and sock is not None:
                sock.close()
                sock = None
            if outcome == "empty" and reused and attempt == 0:
                with self.lock:
                    self.retried[self.current] += 1
                continue
            return outcome, sock
        return outcome, sock

    def _client(self, index):
        sock = None
        start = time.monotonic() + index * self.interval / self.conns
        n = 0
        while not self.stopping.is_set():
            phase = self.current
            outcome, sock = self._one(sock)
            with self.lock:
                self.results[phase][outcome] += 1
            n += 1
            delay = start + n * self.interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        if sock is not None:
            sock.close()

    def start(self):
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(self.conns)]
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(self.timeout + 5)
        self.pool.shutdown(wait=True)
