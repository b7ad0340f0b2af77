"""time.sleep in coro greenlets (test_coro.py): timing, interruption, odd arguments."""
import json
import time
from time import sleep as sleep_bound_at_import  # after gevent patched time: must be the worker's too
from urllib.parse import parse_qs

time.sleep(0.01)  # at import time, before the hub runs


def _json(start_response, data):
    body = json.dumps(data).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    path = environ["PATH_INFO"]
    qs = parse_qs(environ.get("QUERY_STRING", ""))
    if path == "/short":  # n sleeps of t seconds in a row: how long they took
        n, t = int(qs["n"][0]), float(qs["t"][0])
        t0 = time.monotonic()
        for _ in range(n):
            time.sleep(t)
        return _json(start_response, {"elapsed": time.monotonic() - t0})
    if path == "/bound":
        t0 = time.monotonic()
        sleep_bound_at_import(float(qs["t"][0]))
        return _json(start_response, {"elapsed": time.monotonic() - t0, "same": sleep_bound_at_import is time.sleep})
    if path == "/timeout":  # a sleep cut short by gevent.Timeout, then a normal one
        import gevent
        t0 = time.monotonic()
        with gevent.Timeout(float(qs["cut"][0]), False):
            time.sleep(float(qs["t"][0]))
        cut = time.monotonic() - t0
        t1 = time.monotonic()
        time.sleep(0.05)
        return _json(start_response, {"cut": cut, "after": time.monotonic() - t1})
    if path == "/args":
        out = {}
        for name, arg in (("zero", 0), ("negative", -1), ("int", 1), ("text", "x"), ("nan", float("nan")), ("inf", float("inf"))):
            t0 = time.monotonic()
            try:
                time.sleep(arg)
                out[name] = round(time.monotonic() - t0, 1)
            except Exception as e:
                out[name] = type(e).__name__
        return _json(start_response, out)
    start_response("404 Not Found", [("Content-Length", "0")])
    return [b""]
