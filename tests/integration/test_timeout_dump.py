"""Traceback before kill: a worker that missed its heartbeat logs every
thread's Python stack and the request line it was serving before it dies,
also when the app is stuck in C code holding the GIL."""
import re
import socket
import threading

import pytest

from server import Server, wait_for


def send_and_forget(port, path):
    """A request whose answer never comes (the worker is killed): read until closed."""
    def run():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
                while s.recv(4096):
                    pass
        except OSError:
            pass
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@pytest.mark.parametrize("klass,path,function", [
    ("sync", "/hang-c", "stuck_in_c_holding_the_gil"),
    ("sync", "/hang-py", "busy_python_loop"),
    ("gthread", "/hang-c", "stuck_in_c_holding_the_gil"),
])
def test_timed_out_worker_logs_stacks_and_request_line_before_it_dies(klass, path, function):
    with Server("-k", klass, "--timeout", "2", "hang_app:app") as srv:
        srv.wait_ready()
        [pid] = wait_for(lambda: srv.workers(), timeout=10)
        client = send_and_forget(srv.port, path)
        marker = "Worker (pid:%d) timed out while serving: GET %s HTTP/1.1 (client 127.0.0.1:" % (pid, path)
        assert wait_for(lambda: marker in srv.log_text(), timeout=20), srv.log_text()
        # Replaced afterwards (exit 1 through worker_abort, or SIGKILL when the GIL never came back).
        assert wait_for(lambda: (lambda w: w and pid not in w)(srv.workers()), timeout=15), srv.log_text()
        log = srv.log_text()
        timeout_line = log.index("WORKER TIMEOUT (pid:%d)" % pid)
        header = log.index("Worker (pid:%d) timed out; Python stacks of every thread" % pid, timeout_line)
        # The app's frames, innermost first, in the signal-safe dump before the request line.
        dump = log[header:log.index(marker)]
        assert re.search(r'File ".*hang_app\.py", line \d+ in %s\n  File ".*hang_app\.py", line \d+ in app'
                         % function, dump), dump
        client.join(5)
