"""Benchmark WSGI apps used to measure peer servers (the "anchors").

Apps (all plain WSGI callables):
  hello      - b"Hello, World!\n" with Content-Length (14 bytes)
  flask_app  - Flask app with one route "/" returning the same body
               (Flask is imported lazily, so the other apps' RSS does not include it)
  sleep      - time.sleep(0.05) then hello (I/O concurrency test; async
               workers must monkey-patch time.sleep)
  big        - 1 MiB response body (single bytes object, Content-Length set)
  bigfile    - the same 1 MiB from a file through wsgi.file_wrapper (sendfile where
               the server supports it)
  echo       - reads wsgi.input fully and returns its length as text

Flask is created on first access of the module attribute `flask_app`
(PEP 562 module __getattr__), which works with `gunicorn apps:flask_app`,
`waitress-serve apps:flask_app`, `from apps import flask_app`, etc.
"""
import time

HELLO = b"Hello, World!\n"
HELLO_HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(HELLO)))]

BIG = b"x" * (1024 * 1024)
BIG_HEADERS = [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(BIG)))]


def hello(environ, start_response):
    start_response("200 OK", list(HELLO_HEADERS))
    return [HELLO]


def sleep(environ, start_response):
    time.sleep(0.05)
    start_response("200 OK", list(HELLO_HEADERS))
    return [HELLO]


def big(environ, start_response):
    start_response("200 OK", list(BIG_HEADERS))
    return [BIG]


_BIG_FILE = None


def _big_file():
    """A 1 MiB file in the temp folder, written once per process."""
    global _BIG_FILE
    if _BIG_FILE is None:
        import tempfile
        f = tempfile.NamedTemporaryFile(prefix="bench-big-", delete=False)
        f.write(BIG)
        f.close()
        _BIG_FILE = f.name
    return _BIG_FILE


def bigfile(environ, start_response):
    f = open(_big_file(), "rb")
    start_response("200 OK", list(BIG_HEADERS))
    wrapper = environ.get("wsgi.file_wrapper")
    if wrapper is None:
        return _blocks(f)
    return wrapper(f, 65536)


def _blocks(f):
    with f:
        while True:
            block = f.read(65536)
            if not block:
                return
            yield block


def echo(environ, start_response):
    inp = environ["wsgi.input"]
    total = 0
    while True:
        chunk = inp.read(65536)
        if not chunk:
            break
        total += len(chunk)
    body = ("%d\n" % total).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


_flask_app = None


def _make_flask_app():
    from flask import Flask, Response

    app = Flask("bench_flask")

    @app.route("/")
    def index():
        return Response(HELLO, mimetype="text/plain")

    return app


def __getattr__(name):
    global _flask_app
    if name == "flask_app":
        if _flask_app is None:
            _flask_app = _make_flask_app()
        return _flask_app
    raise AttributeError("module %r has no attribute %r" % (__name__, name))

