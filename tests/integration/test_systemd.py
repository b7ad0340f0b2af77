"""systemd integration: socket activation (LISTEN_FDS) and the READY notification."""
import http.client
import os
import shutil
import signal
import socket
import subprocess

import pytest

from server import APPS, BINARY, free_port, wait_for

ACTIVATE = shutil.which("systemd-socket-activate")


def read_response(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/environ")
    resp = conn.getresponse()
    return resp.status, resp.read()


@pytest.mark.skipif(ACTIVATE is None, reason="systemd-socket-activate not installed")
def test_socket_activation_uses_the_inherited_socket(tmp_path):
    port = free_port()
    log = open(tmp_path / "log.txt", "w")
    # The configured bind points elsewhere: socket activation must win, as gunicorn.
    proc = subprocess.Popen([ACTIVATE, "-l", "127.0.0.1:%d" % port, BINARY, "-b", "127.0.0.1:1",
                             "testapp:app"], cwd=APPS, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        assert wait_for(lambda: _connectable(port), timeout=10)
        # systemd-socket-activate starts the server on the first connection.
        status, body = read_response(port)
        assert status == 200
        assert b'"SERVER_PORT": "%d"' % port in body
        assert b"LISTEN_FDS" not in body  # unset before the app runs
        text = (tmp_path / "log.txt").read_text()
        assert "Listening at: http://127.0.0.1:%d" % port in text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def test_ready_notification(tmp_path):
    path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    listener.settimeout(10)
    port = free_port()
    proc = subprocess.Popen([BINARY, "-b", "127.0.0.1:%d" % port, "testapp:app"], cwd=APPS,
                            env=dict(os.environ, NOTIFY_SOCKET=path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        # STATUS datagrams come first while the worker boots; READY=1 once it is ready.
        data = listener.recv(4096)
        while not data.startswith(b"READY=1"):
            assert data.startswith(b"STATUS="), data
            data = listener.recv(4096)
        assert data.split(b"\n")[0] == b"READY=1"
        assert wait_for(lambda: proc.poll() is None and _connectable(port), timeout=10)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        listener.close()


def _connectable(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False
