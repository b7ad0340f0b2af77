"""An app whose import takes SLOW_IMPORT_S seconds (default 2), for the
surge-first order tests: a worker replaced kill-first leaves a gap that long."""
import os
import sys
import time

time.sleep(float(os.environ.get("SLOW_IMPORT_S", "2")))
print("slow_import_app imported in pid %d" % os.getpid(), file=sys.stderr, flush=True)


def app(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
