"""WSGI apps the integration tests run (plain WSGI, no framework)."""
import io
import json
import os
import time
from urllib.parse import parse_qs


def _respond(start_response, status, body, ctype="text/plain"):
    start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    path = environ["PATH_INFO"]
    qs = parse_qs(environ.get("QUERY_STRING", ""))
    if path == "/pid":
        return _respond(start_response, "200 OK", str(os.getpid()).encode())
    if path == "/slow":
        time.sleep(float(qs.get("t", ["1"])[0]))
        return _respond(start_response, "200 OK", ("slept %d" % os.getpid()).encode())
    if path == "/spin":
        # A CPU loop: never yields to gevent's hub (time.monotonic is not patched).
        end = time.monotonic() + float(qs.get("t", ["1"])[0])
        while time.monotonic() < end:
            pass
        return _respond(start_response, "200 OK", b"spun")
    if path == "/download":
        return download(environ, start_response, qs)
    if path == "/echo":
        body = environ["wsgi.input"].read()
        return _respond(start_response, "200 OK", body, environ.get("CONTENT_TYPE", "application/octet-stream"))
    if path == "/error":
        raise RuntimeError("boom from the test app")
    if path == "/environ":
        data = {k: v for k, v in environ.items() if isinstance(v, (str, bool, int))}
        return _respond(start_response, "200 OK", json.dumps(data).encode(), "application/json")
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (("line %d\n" % i).encode() for i in range(5))
    return _respond(start_response, "200 OK", b"hello")


class MarkedFile(io.FileIO):
    """A real file (sendfile-able) whose close() is recorded in CLOSE_MARKER."""

    tag = ""

    def close(self):
        if not self.closed and os.environ.get("CLOSE_MARKER"):
            with open(os.environ["CLOSE_MARKER"], "a") as f:
                f.write("closed %s\n" % self.tag)
        super().close()


def download(environ, start_response, qs):
    """FILE_TO_SERVE through wsgi.file_wrapper, from ?offset=, capped by a
    Content-Length of ?length= when given."""
    f = MarkedFile(os.environ["FILE_TO_SERVE"], "rb")
    f.tag = qs.get("tag", [""])[0]
    f.seek(int(qs.get("offset", ["0"])[0]))
    headers = [("Content-Type", "application/octet-stream")]
    if "length" in qs:
        headers.append(("Content-Length", qs["length"][0]))
    start_response("200 OK", headers)
    return environ["wsgi.file_wrapper"](f, 65536)


class ClosingBody:
    """An iterable whose close() records that it was called."""

    closed_marker = None

    def __init__(self, marker):
        self.marker = marker

    def __iter__(self):
        yield b"body"

    def close(self):
        with open(self.marker, "a") as f:
            f.write("closed\n")


def closing_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return ClosingBody(os.environ["CLOSE_MARKER"])


def create_app(greeting="factory"):
    def factory_app(environ, start_response):
        return _respond(start_response, "200 OK", greeting.encode())
    return factory_app


not_callable = 42
