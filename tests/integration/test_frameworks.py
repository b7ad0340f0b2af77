"""Real frameworks on gunicornpp: Flask (apps/flask_app.py) and a Django
project (apps/djproj), both from Debian's packages, through every worker class:
forms, multipart uploads (small and spooled), streaming, cookies, redirects,
files (FileResponse / send_file use wsgi.file_wrapper)."""
import hashlib
import http.client
import json
import os
import urllib.parse

import pytest

from server import Server
from test_wsgi import WORKER_CLASSES, worker_available

FRAMEWORKS = {
    "flask": {"app": "flask_app:app", "prefix": ""},
    "django": {"app": "djproj.wsgi", "prefix": "", "slash": "/"},
}


@pytest.fixture(params=WORKER_CLASSES)
def worker(request):
    if not worker_available(request.param):
        pytest.skip("worker class %s not available yet" % request.param)
    return request.param


@pytest.fixture(params=sorted(FRAMEWORKS))
def site(request, worker, tmp_path):
    name = request.param
    payload = tmp_path / "payload.bin"
    payload.write_bytes(os.urandom(300 * 1024))
    with Server("-k", worker, FRAMEWORKS[name]["app"], env={"FILE_TO_SERVE": str(payload)}) as srv:
        srv.framework = name
        srv.payload = payload.read_bytes()
        yield srv
        log = srv.log_text()
        assert "Traceback" not in log, log


def url(srv, path):
    # Django's URLconf here uses trailing slashes
    return path.replace("?", "/?", 1) if srv.framework == "django" and "?" in path else \
        (path + "/" if srv.framework == "django" else path)


def request(srv, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
    conn.request(method, url(srv, path), body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, data


def multipart(fields, files):
    boundary = "----gunicornpp-test-boundary"
    out = b""
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (boundary, k, v)).encode()
    for k, (filename, data, ctype) in files.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                "Content-Type: %s\r\n\r\n" % (boundary, k, filename, ctype)).encode() + data + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return out, "multipart/form-data; boundary=%s" % boundary


def test_urlencoded_form(site):
    body = urllib.parse.urlencode([("name", "Zoë & co"), ("tag", "a"), ("tag", "b")])
    resp, data = request(site, "POST", "/form", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 200
    got = json.loads(data)
    assert got["name"] == "Zoë & co" and got["tags"] == ["a", "b"]


@pytest.mark.parametrize("size", [1000, 2 * 1024 * 1024])
def test_multipart_upload(site, size):
    blob = os.urandom(size)
    body, ctype = multipart({"title": "holiday"},
                            {"photo": ("beach.jpg", blob, "image/jpeg"), "notes": ("n.txt", b"a\nb\n", "text/plain")})
    resp, data = request(site, "POST", "/upload", body, {"Content-Type": ctype})
    assert resp.status == 200, data
    got = json.loads(data)
    assert got["fields"] == {"title": "holiday"}
    assert got["files"]["photo"]["filename"] == "beach.jpg"
    assert got["files"]["photo"]["size"] == size
    assert got["files"]["photo"]["sha256"] == hashlib.sha256(blob).hexdigest()
    assert got["files"]["notes"]["size"] == 4


def test_streaming_response(site):
    resp, data = request(site, "GET", "/stream?n=50")
    assert resp.status == 200
    assert resp.getheader("Transfer-Encoding") == "chunked"
    lines = data.decode().splitlines()
    assert len(lines) == 50
    assert lines[0].endswith("0") and lines[-1].startswith(("chunk 49", "row 49"))


def test_cookies(site):
    resp, data = request(site, "GET", "/cookie/set")
    assert resp.status == 200
    cookies = resp.msg.get_all("Set-Cookie")
    assert any(c.startswith("flavour=") for c in cookies)
    resp, data = request(site, "GET", "/cookie/get", headers={"Cookie": "flavour=ginger; other=1"})
    assert json.loads(data) == {"flavour": "ginger", "other": "1"}


def test_redirect(site):
    resp, data = request(site, "GET", "/redirect")
    assert resp.status == 302
    location = resp.getheader("Location")
    assert location.endswith("?q=1") or location.endswith("?q=2")
    path = urllib.parse.urlsplit(location)
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    conn.request("GET", path.path + "?" + path.query)
    resp = conn.getresponse()
    assert resp.status == 200 and resp.read().startswith(b"target reached q=")


def test_file_response(site):
    resp, data = request(site, "GET", "/file")
    assert resp.status == 200
    assert data == site.payload


def test_django_sees_script_name(worker):
    with Server("-k", worker, "djproj.wsgi", env={"SCRIPT_NAME": "/site"}) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        conn.request("GET", "/site/meta/")
        resp = conn.getresponse()
        got = json.loads(resp.read())
        assert got == {"path": "/site/meta/", "path_info": "/meta/", "script_name": "/site",
                       "host": "127.0.0.1:%d" % srv.port, "scheme": "http"}
