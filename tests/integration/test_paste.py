"""--paste / --paster: a PasteDeploy ini names the app (gunicorn's pasterapp)."""
import http.client
import os

import pytest

from server import APPS, Server

pytest.importorskip("paste.deploy")
INI = os.path.join(APPS, "paste", "app.ini")


def body(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/")
    return conn.getresponse().read()


@pytest.mark.parametrize("flag", ["--paste", "--paster"])
def test_paste_main_section(flag):
    with Server(flag, INI, env={"PYTHONPATH": APPS}) as srv:
        assert body(srv.port) == b"hello from paste"


def test_paste_named_section():
    with Server("--paste", INI + "#admin", env={"PYTHONPATH": APPS}) as srv:
        assert body(srv.port) == b"admin section"
