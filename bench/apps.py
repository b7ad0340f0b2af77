"""Apps the bench scripts serve when ../shared/bench is not beside the clone."""


def hello(environ, start_response):
    body = b"Hello, World!"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


# sleep_probe: apps:sleep with timing, for bench/coro_sleep.sh. Per request it
# records how much longer than 0.05 s time.sleep(0.05) took (timer lateness)
# and, per connection (REMOTE_PORT), the gap between this request's start and
# the previous one's end (response write, client round trip, read, parse,
# greenlet start). GET /stats returns both as JSON and resets them.
import json as _json
import time as _time

_late = []
_gap = []
_last_end = {}


def _pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else 0.0


def sleep_probe(environ, start_response):
    now = _time.monotonic()
    if environ["PATH_INFO"] == "/stats":
        body = _json.dumps({name: {"n": len(xs), "mean_ms": 1e3 * sum(xs) / max(1, len(xs)),
                                   "p50_ms": 1e3 * _pct(xs, 0.5), "p99_ms": 1e3 * _pct(xs, 0.99)}
                            for name, xs in (("oversleep", _late), ("between_requests", _gap))}).encode()
        _late.clear()
        _gap.clear()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    port = environ.get("REMOTE_PORT")
    if port in _last_end:
        _gap.append(now - _last_end[port])
    _time.sleep(0.05)
    end = _time.monotonic()
    _late.append(end - now - 0.05)
    _last_end[port] = end
    body = b"Hello, World!"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


# 1 MiB responses for bench/coro_big.sh: `big` returns one bytes object,
# `big_file` returns wsgi.file_wrapper over a 1 MiB file (sendfile where the
# server supports it).
import os as _os
import tempfile as _tempfile

BIG = b"x" * (1024 * 1024)
_BIG_PATH = _os.path.join(_tempfile.gettempdir(), "gpp-bench-1mib.bin")
if not _os.path.exists(_BIG_PATH) or _os.path.getsize(_BIG_PATH) != len(BIG):
    with open(_BIG_PATH, "wb") as _f:
        _f.write(BIG)


def big(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(BIG)))])
    return [BIG]


def big_file(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(BIG)))])
    return environ["wsgi.file_wrapper"](open(_BIG_PATH, "rb"), 65536)
