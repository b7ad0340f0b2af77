"""Apps that hang a worker, for the timeout traceback tests."""
import ctypes
import time

# PyDLL keeps the GIL held during the foreign call (CDLL releases it).
_libc = ctypes.PyDLL(None)


def stuck_in_c_holding_the_gil():
    _libc.sleep(60)


def busy_python_loop():
    end = time.monotonic() + 60
    while time.monotonic() < end:
        pass


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/hang-c":
        stuck_in_c_holding_the_gil()
    elif path == "/hang-py":
        busy_python_loop()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
