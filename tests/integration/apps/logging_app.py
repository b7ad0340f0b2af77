"""The app the logging/statsd tests run under both gunicornpp and gunicorn 20.1."""
import logging
import sys

log = logging.getLogger("gunicorn.error")
applog = logging.getLogger("logging_app")


def app(environ, start_response):
    path = environ["PATH_INFO"]
    # What an auth middleware or the app leaves in the environ: the access
    # log's %({var}e)s atoms must see it (gunicorn reads environ when it logs).
    environ["REMOTE_USER"] = 'alice "the" admin'
    environ["myapp.user_id"] = 42
    environ["MyApp.Mixed"] = "mixed-case key"
    environ["myapp.none"] = None
    environ["myapp.list"] = ["a", 1, 'q"q']
    environ["myapp.flag"] = True
    environ["HTTP_X_ADDED"] = "by middleware"
    if path == "/late":
        def body():
            yield b"late"
            environ["myapp.user_id"] = 43  # set while the body is iterated: still logged
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body()
    if path == "/error":
        raise RuntimeError("boom from logging_app")
    if path == "/after-head":
        def body():
            yield b"part"
            raise RuntimeError("boom after the head")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body()
    if path == "/print":
        print("printed to stdout by the app", flush=True)
        sys.stderr.write("written to stderr by the app\n")
        sys.stderr.flush()
    if path == "/pydebug":
        log.debug("app debug line via gunicorn.error")
    if path == "/pylog":
        log.info("app says hello via gunicorn.error")
        log.warning("app warns via gunicorn.error")
        applog.warning("app warns via its own logger")
    if path == "/notfound":
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"not found"]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Resp", 'say "x"')])
        return [b"a" * 10, b"b" * 5]
    if environ["REQUEST_METHOD"] == "POST":
        environ["wsgi.input"].read()
    body = b"hello logging"
    start_response("201 Created", [("Content-Type", "text/plain"), ("Content-Length", str(len(body))),
                                   ("X-Resp", "v1"), ("X-Resp", "v2"), ("Set-Cookie", "a=b")])
    return [body]
