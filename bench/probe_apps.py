"""Probe apps for bench/coro_sleep.sh (the standard apps are in bench/peers/apps.py)."""
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
