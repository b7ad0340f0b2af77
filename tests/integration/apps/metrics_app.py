"""The app test_metrics.py drives: a mix of statuses, slow and hung requests."""
import time
from urllib.parse import parse_qs


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/missing":
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "7")])
        return [b"missing"]
    if path == "/error":
        raise RuntimeError("boom from metrics_app")
    if path == "/slow":
        qs = parse_qs(environ.get("QUERY_STRING", ""))
        time.sleep(float(qs.get("t", ["1"])[0]))
    if path == "/hang":
        time.sleep(3600)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
