"""The walking skeleton, end to end: the real binary, real sockets, real signals."""
import http.client
import json
import os
import signal
import socket
import threading
import time

import pytest

from server import APPS, ROOT, Server, run_binary, wait_for

EXAMPLES = os.path.join(ROOT, "examples")


def get(port, path, method="GET", body=None, headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, data


def test_serves_the_flask_example():
    with Server("-w", "2", "rocket:app", cwd=EXAMPLES) as srv:
        resp, body = get(srv.port, "/")
        assert resp.status == 200
        assert body == b"Hello from gunicornpp!\n"
        assert resp.getheader("Server") == "gunicornpp/0.1.0"
        assert resp.getheader("Connection") == "close"
        resp, body = get(srv.port, "/hello/world")
        assert resp.status == 200
        assert json.loads(body) == {"greeting": "Hello, world!", "server": "gunicornpp/0.1.0"}
        log = srv.log_text()
        assert "Starting gunicornpp 0.1.0" in log
        assert "Listening at: http://127.0.0.1:%d (%d)" % (srv.port, srv.proc.pid) in log
        assert "Using worker: sync" in log
        assert log.count("Booting worker with pid: ") == 2


def test_post_echo_through_flask():
    payload = b"x=1&y=" + b"z" * 100000
    with Server("rocket:app", cwd=EXAMPLES) as srv:
        resp, body = get(srv.port, "/echo", "POST", payload, {"Content-Type": "application/x-www-form-urlencoded"})
        assert resp.status == 200
        assert body == payload


def test_chunked_request_body_is_decoded():
    with Server("testapp:app") as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        assert data.startswith(b"HTTP/1.1 200 OK\r\n")
        assert data.endswith(b"hello world")


def test_two_workers_both_serve():
    with Server("-w", "2", "testapp:app") as srv:
        srv.wait_ready(workers=2)
        results = []

        def slow():
            results.append(get(srv.port, "/slow?t=1")[1])

        threads = [threading.Thread(target=slow) for _ in range(2)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        pids = {r.split()[1] for r in results}
        assert len(pids) == 2, results
        assert elapsed < 1.9, "the two slow requests ran one after the other"


def test_killed_worker_is_replaced_within_two_seconds():
    with Server("-w", "2", "testapp:app") as srv:
        srv.wait_ready(workers=2)
        before = wait_for(lambda: len(srv.workers()) == 2 and srv.workers())
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        start = time.monotonic()
        after = wait_for(lambda: (lambda w: len(w) == 2 and victim not in w and w)(srv.workers()), timeout=2)
        assert after, "worker not replaced within 2 s: %s" % srv.workers()
        assert time.monotonic() - start <= 2.0
        assert "Worker (pid:%d) was sent SIGKILL! Perhaps out of memory?" % victim in srv.log_text()
        resp, _ = get(srv.port, "/")
        assert resp.status == 200


def test_term_finishes_in_flight_request_and_exits_zero():
    with Server("testapp:app") as srv:
        result = {}

        def slow():
            try:
                result["resp"] = get(srv.port, "/slow?t=1.5")
            except Exception as e:  # noqa: BLE001 - reported below
                result["error"] = e

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.4)
        start = time.monotonic()
        srv.signal(signal.SIGTERM)
        code = srv.wait_exit(5)
        t.join()
        assert code == 0
        assert time.monotonic() - start < 5
        assert "error" not in result, result
        assert result["resp"][0].status == 200 and result["resp"][1].startswith(b"slept")
        assert srv.workers() == []


def test_int_is_a_quick_stop():
    with Server("testapp:app") as srv:
        srv.signal(signal.SIGINT)
        assert srv.wait_exit(5) == 0


def test_missing_module_exits_3():
    code, out = run_binary("-b", "127.0.0.1:0", "no_such_module_xyz:app", cwd=APPS)
    assert code == 3, out
    assert "No module named 'no_such_module_xyz'" in out
    assert "Worker failed to boot." in out


def test_module_that_raises_on_import_exits_3():
    code, out = run_binary("-b", "127.0.0.1:0", "broken_import:app", cwd=APPS)
    assert code == 3, out
    assert "this module is broken on purpose" in out
    assert "Traceback" in out


def test_missing_attribute_exits_4():
    code, out = run_binary("-b", "127.0.0.1:0", "testapp:nope", cwd=APPS)
    assert code == 4, out
    assert "Failed to find attribute 'nope' in 'testapp'." in out
    assert "App failed to load." in out


def test_not_callable_exits_4():
    code, out = run_binary("-b", "127.0.0.1:0", "testapp:not_callable", cwd=APPS)
    assert code == 4, out
    assert "Application object must be callable." in out


@pytest.mark.parametrize("spec, body", [("testapp:create_app()", b"factory"),
                                        ("testapp:create_app('hi there')", b"hi there"),
                                        ("testapp:create_app(greeting='kw')", b"kw")])
def test_app_factories(spec, body):
    with Server(spec) as srv:
        assert get(srv.port, "/")[1] == body


def test_unix_socket_bind_and_cleanup(tmp_path):
    path = str(tmp_path / "gpp.sock")
    with Server("testapp:app", bind="unix:" + path) as srv:
        assert os.path.exists(path)
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        s.sendall(b"GET /environ HTTP/1.1\r\nHost: example.com:8080\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        assert data.startswith(b"HTTP/1.1 200 OK")
        assert b'"SERVER_NAME": "example.com"' in data and b'"SERVER_PORT": "8080"' in data
        assert b'"REMOTE_ADDR": ""' in data and b"REMOTE_PORT" not in data
        assert "Listening at: unix:%s" % path in srv.log_text()
        srv.signal(signal.SIGTERM)
        assert srv.wait_exit(5) == 0
    assert not os.path.exists(path)


def test_several_binds_and_ipv6():
    from server import free_port
    p2 = free_port()
    with Server("-b", "[::1]:%d" % p2, "testapp:app") as srv:
        assert get(srv.port, "/")[1] == b"hello"
        conn = http.client.HTTPConnection("::1", p2, timeout=5)
        conn.request("GET", "/environ")
        data = conn.getresponse().read()
        assert b'"SERVER_NAME": "::1"' in data and b'"REMOTE_ADDR": "::1"' in data
        assert "http://[::1]:%d" % p2 in srv.log_text()


def test_app_exception_is_500_and_worker_lives():
    with Server("testapp:app") as srv:
        pid_before = get(srv.port, "/pid")[1]
        resp, body = get(srv.port, "/error")
        assert resp.status == 500
        assert b"Internal Server Error" in body
        assert get(srv.port, "/pid")[1] == pid_before
        log = srv.log_text()
        assert "Error handling request GET /error" in log  # gunicorn 26.1: method and URI
        assert "RuntimeError: boom from the test app" in log and "Traceback" in log


def test_close_is_called_on_the_iterable(tmp_path):
    marker = tmp_path / "closed"
    with Server("testapp:closing_app", env={"CLOSE_MARKER": str(marker)}) as srv:
        assert get(srv.port, "/")[1] == b"body"
        assert wait_for(lambda: marker.exists() and marker.read_text() == "closed\n", timeout=3)


def test_chdir_and_pythonpath(tmp_path):
    (tmp_path / "pkgdir").mkdir()
    (tmp_path / "pkgdir" / "only_here.py").write_text(
        "def app(e, s):\n    s('200 OK', [('Content-Type', 'text/plain')])\n    return [b'from pythonpath']\n")
    with Server("--chdir", str(tmp_path), "--pythonpath", str(tmp_path / "pkgdir"), "only_here:app",
                cwd="/") as srv:
        assert get(srv.port, "/")[1] == b"from pythonpath"


def test_streaming_response_is_chunked():
    with Server("testapp:app") as srv:
        resp, body = get(srv.port, "/stream")
        assert resp.getheader("Transfer-Encoding") == "chunked"
        assert body == b"".join(b"line %d\n" % i for i in range(5))


def test_no_process_left_behind():
    srv = Server("-w", "3", "testapp:app")
    try:
        srv.wait_ready(workers=3)
        workers = wait_for(lambda: len(srv.workers()) == 3 and srv.workers())
        srv.signal(signal.SIGTERM)
        assert srv.wait_exit(5) == 0
        for pid in workers:
            assert not os.path.exists("/proc/%d" % pid) or "Z" in open("/proc/%d/stat" % pid).read().split(")")[1][:3]
    finally:
        srv.stop()
