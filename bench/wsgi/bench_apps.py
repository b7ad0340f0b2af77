"""Apps for bench/wsgi/wsgi_bench.cpp."""


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
    return [b"Hello, World!"]


def hello_chunked(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, World!"]


def generator(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"Hello, "
    yield b"World!"


def echo(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(len(body)))])
    return [body]


def _start(status, headers, exc_info=None):
    return None


def python_only():
    """The app alone: a dict copy and the call, no server (the floor)."""
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.version": (1, 0)}
    return hello(dict(env), _start)
