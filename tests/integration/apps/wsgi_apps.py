"""PEP 3333 apps for tests/integration/test_wsgi.py. `app` is the plain
dispatcher; `validated` is the same app inside wsgiref.validate.validator,
which raises on every PEP 3333 violation by either side."""
import io
import json
import os
import sys
import time
from wsgiref.validate import validator

CLOSE_MARKER = os.environ.get("CLOSE_MARKER", "/nonexistent/close-marker")


def _mark(text):
    with open(CLOSE_MARKER, "a") as f:
        f.write(text + "\n")


def _json(start_response, data, status="200 OK"):
    body = json.dumps(data, sort_keys=True).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class Closing:
    """An iterable that records close() in CLOSE_MARKER."""

    def __init__(self, chunks, tag, fail_at=None):
        self.chunks, self.tag, self.fail_at = chunks, tag, fail_at

    def __iter__(self):
        for i, c in enumerate(self.chunks):
            if i == self.fail_at:
                raise RuntimeError("failing in the body on purpose")
            yield c

    def close(self):
        _mark("closed " + self.tag)


class CountingFile(io.FileIO):
    """A real file (has fileno) that counts Python-level reads."""
    reads = 0

    def read(self, *a):
        CountingFile.reads += 1
        return super().read(*a)

    def readinto(self, b):
        CountingFile.reads += 1
        return super().readinto(b)


def environ_view(environ):
    out = {}
    for k, v in environ.items():
        if isinstance(v, (str, bool, int)):
            out[k] = v
        elif isinstance(v, tuple):
            out[k] = list(v)
        else:
            out[k] = "<%s>" % type(v).__name__
    return out


_KEPT = []  # gunicorn.socket objects an app kept past its request
_WEAK = []  # weak references to some


def app(environ, start_response):
    path = environ["PATH_INFO"]
    inp = environ["wsgi.input"]
    if path == "/environ" or path.startswith("/env/"):
        return _json(start_response, environ_view(environ))
    if path == "/input/read":
        sizes = [int(s) for s in environ["QUERY_STRING"].split(",") if s]
        parts = [inp.read(n).decode("latin-1") for n in sizes]
        return _json(start_response, {"parts": parts, "rest": inp.read().decode("latin-1")})
    if path == "/input/lines":
        first = inp.readline().decode()
        capped = inp.readline(3).decode()
        rest = [line.decode() for line in inp]
        return _json(start_response, {"first": first, "capped": capped, "rest": rest,
                                      "after": inp.read(10).decode()})
    if path == "/input/readlines":
        return _json(start_response, {"lines": [x.decode() for x in inp.readlines()]})
    if path == "/input/types":
        results = {}
        for name, arg in (("none", None), ("neg", -1), ("zero", 0), ("str", "5"), ("float", 1.5)):
            try:
                results[name] = inp.read(arg).decode()
            except TypeError as e:
                results[name] = "TypeError: %s" % e
        return _json(start_response, results)
    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"")          # PEP 3333: no headers yet
        write(b"written ")
        write(b"by write()")
        return []
    if path == "/generator":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Closing([b"one ", b"", b"two ", b"three"], "generator")
    if path == "/empty-then-error":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Closing([b"", b"never"], "empty-then-error", fail_at=1)
    if path == "/error-before":
        raise RuntimeError("failing before start_response on purpose")
    if path == "/error-after":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Closing([b"partial body ", b"more"], "error-after", fail_at=1)
    if path == "/exc-info-replace":
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-First", "yes")])
        try:
            raise ValueError("handled by the app")
        except ValueError:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"replaced"]
    if path == "/exc-info-after":
        def body():
            yield b"head went out "
            try:
                raise KeyError("late failure")
            except KeyError:
                start_response("500 Internal Server Error", [("Content-Type", "text/plain")],
                               sys.exc_info())
            yield b"not reached"
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body()
    if path == "/twice":
        start_response("200 OK", [("Content-Type", "text/plain")])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"unreachable"]
    if path == "/bad-header":
        kind = environ["QUERY_STRING"]
        headers = {"crlf": [("X-Bad", "a\r\nInjected: yes")],
                   "name": [("Bad Name", "v")],
                   "type": [("X-Int", 5)],
                   "wide": [("X-Wide", "\u20ac")]}[kind]
        start_response("200 OK", [("Content-Type", "text/plain")] + headers)
        return [b"unreachable"]
    if path == "/latin1-header":
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Latin", "caf\xe9"),
                                  ("X-Padded", "  v  ")])
        return [b"ok"]
    if path == "/early-hints":
        environ["wsgi.early_hints"]([("Link", "</style.css>; rel=preload; as=style")])
        environ["wsgi.early_hints"]([(b"Link", b"</app.js>; rel=preload; as=script")])
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return [b"hints"]
    if path == "/socket":
        import socket
        sock = environ["gunicorn.socket"]
        tcp = sock.family != socket.AF_UNIX
        if tcp:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        info = {"peer": list(sock.getpeername())[:2], "fileno_ok": sock.fileno() >= 0,
                "type": repr(type(sock).__name__),
                "is_socket": isinstance(sock, socket.socket),
                "sockname": list(sock.getsockname())[:2],
                "family": int(sock.family), "socktype": int(sock.type),
                "timeout": sock.gettimeout(), "id": id(sock),
                "fd_blocking": os.get_blocking(sock.fileno()),
                "nodelay": tcp and sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0}
        _KEPT.append(sock)
        return _json(start_response, info)
    if path == "/status":
        # start_response with the status given as the query (percent-decoded).
        from urllib.parse import unquote
        start_response(unquote(environ["QUERY_STRING"]), [("Content-Type", "text/plain")])
        return [b"status body"]
    if path == "/socket-kept":
        return _json(start_response, {"filenos": [s.fileno() for s in _KEPT]})
    if path == "/socket-weakref":
        import weakref
        if environ["QUERY_STRING"] == "check":  # what the object is now, if it lives
            return _json(start_response, {"filenos": [w().fileno() for w in _WEAK if w() is not None]})
        _WEAK.append(weakref.ref(environ["gunicorn.socket"]))
        return _json(start_response, {})
    if path == "/socket-sendall":
        # A hijacking app: extra bytes (more than the socket buffers hold)
        # straight to the client before the response.
        n = int(environ["QUERY_STRING"])
        environ["gunicorn.socket"].sendall(b"x" * n + b"|")
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"done"]
    if path == "/socket-close":
        with environ["gunicorn.socket"] as sock:  # close() at the end: ends the connection
            sock.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nclosed")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"not seen"]
    if path == "/socket-detach":
        fd = environ["gunicorn.socket"].detach()  # a dup: the connection stays the worker's
        os.close(fd)
        return _json(start_response, {"dup": fd})
    if path == "/errors":
        errors = environ["wsgi.errors"]
        errors.write("wsgi-errors-marker one\n")
        errors.writelines(["wsgi-errors-marker two\n"])
        errors.flush()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"logged"]
    if path == "/file-reads":
        return _json(start_response, {"reads": CountingFile.reads})
    if path.startswith("/file"):
        name = os.environ["FILE_TO_SERVE"]
        f = CountingFile(name, "rb")
        f.seek(int(environ["QUERY_STRING"] or "0"))
        headers = [("Content-Type", "application/octet-stream")]
        if path == "/file/length":
            headers.append(("Content-Length", "10"))
        start_response("200 OK", headers)
        return environ["wsgi.file_wrapper"](f, 4096)
    if path == "/bytesio":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return environ["wsgi.file_wrapper"](io.BytesIO(b"from a BytesIO " * 3), 7)
    if path == "/big":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return Closing([b"x" * 65536] * 2000, "big")
    if path == "/no-content":
        start_response("204 No Content", [])
        return [b""]
    if path == "/pid":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(os.getpid()).encode()]
    if path == "/sleep":
        time.sleep(0.2)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"default"]


validated = validator(app)
