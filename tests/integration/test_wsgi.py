"""PEP 3333 to the letter: environ, start_response, write(), wsgi.input,
wsgi.errors, wsgi.file_wrapper (sendfile), wsgi.early_hints, gunicorn.socket
and error handling, through every worker class (WORKER_CLASSES), with the
apps wrapped in wsgiref.validate.validator where PEP 3333 allows it."""
import http.client
import json
import os
import socket
import tempfile
import time
import urllib.parse

import pytest

from server import Server, run_binary, wait_for

# Extend as worker classes land ("gthread" is skipped until the binary accepts it).
WORKER_CLASSES = ["sync", "gthread", "coro"]
_available = {}


def worker_available(kind):
    if kind not in _available:
        status, out = run_binary("-k", kind, "--check-config", "wsgi_apps:app", timeout=20)
        _available[kind] = status == 0
    return _available[kind]


@pytest.fixture(params=WORKER_CLASSES)
def worker(request):
    if not worker_available(request.param):
        pytest.skip("worker class %s not available yet" % request.param)
    return request.param


def raw(port, data, timeout=10, unix=None):
    """Send raw bytes, read until the server closes."""
    if unix:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        s.connect(unix)
    else:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    return out


def get(port, path, method="GET", body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, data


def split_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(": ")
        headers.setdefault(k.lower(), v)
    return lines[0], headers, body


def dechunk(body):
    out = b""
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return out
        out += body[:size]
        body = body[size + 2:]


def assert_validator_clean(srv):
    log = srv.log_text()
    assert "AssertionError" not in log, log
    assert "WSGIWarning" not in log, log
    assert "Exception ignored" not in log, log


# ---------------------------------------------------------------- environ


def test_environ_keys_under_validator(worker):
    with Server("-k", worker, "wsgi_apps:validated") as srv:
        resp, body = get(srv.port, "/env/a%20b?x=1&y=2", headers={"X-Rep": "one", "Content-Type": "text/x"})
        assert resp.status == 200
        env = json.loads(body)
        assert env["REQUEST_METHOD"] == "GET"
        assert env["PATH_INFO"] == "/env/a b"
        assert env["RAW_URI"] == "/env/a%20b?x=1&y=2"
        assert env["QUERY_STRING"] == "x=1&y=2"
        assert env["SCRIPT_NAME"] == ""
        assert env["SERVER_NAME"] == "127.0.0.1"
        assert env["SERVER_PORT"] == str(srv.port)
        assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
        assert env["SERVER_SOFTWARE"] == "gunicornpp/0.1.0"
        assert env["REMOTE_ADDR"] == "127.0.0.1"
        assert int(env["REMOTE_PORT"]) > 0
        assert env["CONTENT_TYPE"] == "text/x"
        assert "HTTP_CONTENT_TYPE" not in env
        assert env["HTTP_HOST"] == "127.0.0.1:%d" % srv.port
        assert env["HTTP_X_REP"] == "one"
        assert env["wsgi.version"] == [1, 0]
        assert env["wsgi.url_scheme"] == "http"
        assert env["wsgi.multithread"] is (worker != "sync")
        assert env["wsgi.multiprocess"] is False
        assert env["wsgi.run_once"] is False
        assert env["wsgi.input_terminated"] is True
        for key in ("wsgi.input", "wsgi.errors", "wsgi.file_wrapper", "wsgi.early_hints", "gunicorn.socket"):
            assert key in env
        assert_validator_clean(srv)


def test_environ_multiprocess_and_repeated_headers(worker):
    with Server("-k", worker, "-w", "2", "wsgi_apps:validated") as srv:
        data = raw(srv.port, b"GET /environ HTTP/1.0\r\nHost: h\r\nX-Rep: a\r\nX-Rep: b\r\nx-rep: c\r\n\r\n")
        status, _, body = split_response(data)
        assert status == "HTTP/1.0 200 OK"
        env = json.loads(body)
        assert env["HTTP_X_REP"] == "a,b,c"
        assert env["wsgi.multiprocess"] is True
        assert env["SERVER_PROTOCOL"] == "HTTP/1.0"
        assert_validator_clean(srv)


def test_path_info_is_a_latin1_wsgi_string(worker):
    with Server("-k", worker, "wsgi_apps:validated") as srv:
        # percent-encoded UTF-8 and raw UTF-8 bytes both arrive as latin-1 code points (PEP 3333)
        data = raw(srv.port, b"GET /env/caf%C3%A9/\xc3\xa9?q=%C3%A9 HTTP/1.0\r\n\r\n")
        env = json.loads(split_response(data)[2])
        assert env["PATH_INFO"] == "/env/caf\xc3\xa9/\xc3\xa9"
        assert env["RAW_URI"] == "/env/caf%C3%A9/\xc3\xa9?q=%C3%A9"
        assert env["QUERY_STRING"] == "q=%C3%A9"
        assert env["PATH_INFO"].encode("latin-1").decode("utf-8") == "/env/café/é"
        assert_validator_clean(srv)


def test_script_name_from_environment(worker):
    with Server("-k", worker, "wsgi_apps:validated", env={"SCRIPT_NAME": "/app"}) as srv:
        env = json.loads(get(srv.port, "/app/env/x")[1])
        assert env["SCRIPT_NAME"] == "/app"
        assert env["PATH_INFO"] == "/env/x"
        # A path outside SCRIPT_NAME is gunicorn's ConfigurationProblem: "500 Bad Request".
        data = raw(srv.port, b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = split_response(data)
        assert status == "HTTP/1.1 500 Bad Request"
        assert headers["connection"] == "close"
        assert b"Configuration problem: Request path &#x27;/other&#x27; does not start with " \
               b"SCRIPT_NAME &#x27;/app&#x27;" in body
        assert "Invalid request from ip=127.0.0.1: Configuration problem: Request path '/other'" in srv.log_text()
        # and the worker lives on
        assert get(srv.port, "/app/env/y")[0].status == 200
        assert_validator_clean(srv)


def test_unix_socket_server_name_and_port(worker, tmp_path):
    path = str(tmp_path / "wsgi.sock")
    with Server("-k", worker, "wsgi_apps:validated", bind="unix:" + path) as srv:
        env = json.loads(split_response(raw(0, b"GET /environ HTTP/1.0\r\nHost: example.org:8080\r\n\r\n",
                                            unix=path))[2])
        assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("example.org", "8080")
        assert env["REMOTE_ADDR"] == "" and "REMOTE_PORT" not in env
        env = json.loads(split_response(raw(0, b"GET /environ HTTP/1.0\r\nHost: example.org\r\n\r\n",
                                            unix=path))[2])
        assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("example.org", "80")
        env = json.loads(split_response(raw(0, b"GET /environ HTTP/1.0\r\n\r\n", unix=path))[2])
        assert (env["SERVER_NAME"], env["SERVER_PORT"]) == (path, "")
        info = json.loads(split_response(raw(0, b"GET /socket HTTP/1.0\r\n\r\n", unix=path))[2])
        assert (info["is_socket"], info["family"], info["timeout"]) == (True, socket.AF_UNIX, None)
        assert_validator_clean(srv)


# ---------------------------------------------------------------- wsgi.input


def test_input_read_sizes_content_length(worker):
    with Server("-k", worker, "wsgi_apps:app") as srv:
        resp, body = get(srv.port, "/input/read?3,0,4,100", "POST", b"abcdefghij")
        assert json.loads(body) == {"parts": ["abc", "", "defg", "hij"], "rest": ""}


def test_input_lines_and_iteration_chunked(worker):
    payload = b"first line\nabcdef\nthird\nfourth"
    chunked = b"".join(b"%X\r\n%s\r\n" % (len(payload[i:i + 5]), payload[i:i + 5])
                       for i in range(0, len(payload), 5)) + b"0\r\n\r\n"
    with Server("-k", worker, "wsgi_apps:app") as srv:
        data = raw(srv.port, b"POST /input/lines HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                             b"Connection: close\r\n\r\n" + chunked)
        status, headers, body = split_response(data)
        if headers.get("transfer-encoding") == "chunked":
            body = dechunk(body)
        assert json.loads(body) == {"first": "first line\n", "capped": "abc",
                                    "rest": ["def\n", "third\n", "fourth"], "after": ""}


def test_input_readlines_and_size_types(worker):
    with Server("-k", worker, "wsgi_apps:app") as srv:
        assert json.loads(get(srv.port, "/input/readlines", "POST", b"a\nb\n\nc")[1]) == \
            {"lines": ["a\n", "b\n", "\n", "c"]}
        result = json.loads(get(srv.port, "/input/types", "POST", b"0123456789")[1])
        assert result == {"none": "0123456789", "neg": "", "zero": "",
                          "str": "TypeError: size must be an integral type",
                          "float": "TypeError: size must be an integral type"}


def test_large_spooled_body(worker):
    payload = os.urandom(3 * 1024 * 1024)
    with Server("-k", worker, "wsgi_apps:app") as srv:
        resp, body = get(srv.port, "/input/read?1048576", "POST", payload)
        parts = json.loads(body)
        assert parts["parts"][0].encode("latin-1") == payload[:1048576]
        assert parts["rest"].encode("latin-1") == payload[1048576:]


# ---------------------------------------------------------------- start_response / write / body


def test_write_callable_and_generator_close(worker, tmp_path):
    marker = str(tmp_path / "closed")
    with Server("-k", worker, "wsgi_apps:validated", env={"CLOSE_MARKER": marker}) as srv:
        resp, body = get(srv.port, "/write")
        assert (resp.status, body) == (200, b"written by write()")
        resp, body = get(srv.port, "/generator")
        assert (resp.status, body) == (200, b"one two three")
        assert resp.getheader("Transfer-Encoding") == "chunked"
        assert wait_for(lambda: os.path.exists(marker) and "closed generator" in open(marker).read())
        assert_validator_clean(srv)


def test_single_item_goes_out_in_one_piece(worker):
    with Server("-k", worker, "wsgi_apps:validated") as srv:
        data = raw(srv.port, b"GET /pid HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, headers, body = split_response(data)
        assert status == "HTTP/1.1 200 OK"
        assert headers["transfer-encoding"] == "chunked"
        assert body.endswith(b"0\r\n\r\n")
        assert headers["server"] == "gunicornpp/0.1.0"


def test_headers_wait_for_first_nonempty_item(worker, tmp_path):
    marker = str(tmp_path / "closed")
    with Server("-k", worker, "wsgi_apps:validated", env={"CLOSE_MARKER": marker}) as srv:
        # b"" then an exception: nothing went out yet, so the client gets a clean 500 (PEP 3333).
        data = raw(srv.port, b"GET /empty-then-error HTTP/1.1\r\nHost: x\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
        assert wait_for(lambda: os.path.exists(marker) and "closed empty-then-error" in open(marker).read())
        assert "Error handling request GET /empty-then-error" in srv.log_text()


def test_no_content_response(worker):
    with Server("-k", worker, "wsgi_apps:validated") as srv:
        data = raw(srv.port, b"GET /no-content HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = split_response(data)
        assert status == "HTTP/1.1 204 No Content"
        assert "transfer-encoding" not in headers and body == b""
        assert_validator_clean(srv)


def test_exc_info_replaces_before_headers(worker):
    with Server("-k", worker, "wsgi_apps:validated") as srv:
        resp, body = get(srv.port, "/exc-info-replace")
        assert (resp.status, body) == (503, b"replaced")
        assert resp.getheader("X-First") is None
        assert_validator_clean(srv)


def test_exc_info_after_headers_reraises_and_closes(worker):
    with Server("-k", worker, "wsgi_apps:app") as srv:
        data = raw(srv.port, b"GET /exc-info-after HTTP/1.1\r\nHost: x\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"head went out" in data and b"not reached" not in data
        assert not data.endswith(b"0\r\n\r\n")  # truncated: the connection was closed
        log = srv.log_text()
        assert "Error handling request\nTraceback" in log
        assert "KeyError: 'late failure'" in log
        assert get(srv.port, "/pid")[0].status == 200


def test_start_response_twice_is_an_error(worker):
    with Server("-k", worker, "wsgi_apps:app") as srv:
        assert get(srv.port, "/twice")[0].status == 500
        assert "AssertionError: Response headers already set!" in srv.log_text()


def test_status_without_reason_phrase(worker):
    with Server("-k", worker, "--access-logfile", "-", "--access-logformat", "status=%(s)s", "wsgi_apps:app") as srv:
        for code in ("200", "404", "599"):
            data = raw(srv.port, b"GET /status?" + code.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            # gunicorn sends "HTTP/1.1 404"; RFC 9112 needs the SP before the empty reason.
            assert data.startswith(b"HTTP/1.1 " + code.encode() + b" \r\n"), data
            assert dechunk(split_response(data)[2]) == b"status body"
        data = raw(srv.port, b"GET /status?204 HTTP/1.0\r\n\r\n")
        assert data.startswith(b"HTTP/1.0 204 \r\n") and data.endswith(b"\r\n\r\n")
        assert wait_for(lambda: srv.log_text().count("status=") >= 4, 5)
        assert [l for l in srv.log_text().splitlines() if l.startswith("status=")] == [
            "status=200", "status=404", "status=599", "status=204"]


def test_status_that_is_no_status_line_is_refused(worker):
    with Server("-k", worker, "wsgi_apps:app") as srv:
        bad = ["20", "2000", "20x", "200\tOK", " 200 OK", "200 OK\r\nX: y", "OK", "200\r\n"]
        for status in bad:
            query = urllib.parse.quote(status).encode()
            data = raw(srv.port, b"GET /status?" + query + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            assert data.startswith(b"HTTP/1.1 500 Internal Server Error\r\n"), (status, data)
            assert b"X: y" not in data
        assert wait_for(lambda: srv.log_text().count("ValueError: Invalid status") == len(bad), 5), srv.log_text()


@pytest.mark.parametrize("kind,error", [
    ("crlf", "gunicorn.http.errors.InvalidHeader: Invalid HTTP Header: \"'a\\\\r\\\\nInjected: yes'\""),
    ("name", "gunicorn.http.errors.InvalidHeaderName: Invalid HTTP header name: \"'Bad Name'\""),
    ("type", "TypeError: 5 is not a string"),
    ("wide", "gunicorn.http.errors.InvalidHeader: Invalid HTTP Header: \"'\u20ac'\""),
])
def test_header_validation(worker, kind, error):
    with Server("-k", worker, "wsgi_apps:app") as srv:
        data = raw(srv.port, b"GET /bad-header?" + kind.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
        assert b"Injected" not in data
        assert wait_for(lambda: error in srv.log_text(), 5), srv.log_text()


def test_header_values_are_latin1_and_trimmed(worker):
    with Server("-k", worker, "wsgi_apps:app") as srv:
        data = raw(srv.port, b"GET /latin1-header HTTP/1.0\r\n\r\n")
        assert b"\r\nX-Latin: caf\xe9\r\n" in data
        assert b"\r\nX-Padded: v\r\n" in data


def test_errors_keep_the_worker_alive(worker):
    with Server("-k", worker, "wsgi_apps:app") as srv:
        pid = get(srv.port, "/pid")[1]
        data = raw(srv.port, b"GET /error-before HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = split_response(data)
        assert status == "HTTP/1.1 500 Internal Server Error"
        assert b"<h1><p>Internal Server Error</p></h1>" in body
        data = raw(srv.port, b"GET /error-after HTTP/1.1\r\nHost: x\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 200 OK\r\n") and b"partial body" in data
        assert not data.endswith(b"0\r\n\r\n")
        assert get(srv.port, "/pid")[1] == pid
        log = srv.log_text()
        assert "Error handling request GET /error-before\nTraceback" in log
        assert "RuntimeError: failing before start_response on purpose" in log
        assert "RuntimeError: failing in the body on purpose" in log


def test_close_called_when_client_disconnects(worker, tmp_path):
    marker = str(tmp_path / "closed")
    with Server("-k", worker, "wsgi_apps:app", env={"CLOSE_MARKER": marker}) as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(1000)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()  # RST
        assert wait_for(lambda: os.path.exists(marker) and "closed big" in open(marker).read(), 10)
        assert get(srv.port, "/pid")[0].status == 200
        assert "Error handling request" not in srv.log_text()


# ---------------------------------------------------------------- extensions


def test_early_hints(worker):
    with Server("-k", worker, "wsgi_apps:validated") as srv:
        data = raw(srv.port, b"GET /early-hints HTTP/1.1\r\nHost: x\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
                               b"HTTP/1.1 103 Early Hints\r\nLink: </app.js>; rel=preload; as=script\r\n\r\n"
                               b"HTTP/1.1 200 OK\r\n")
        assert data.endswith(b"hints")
        data = raw(srv.port, b"GET /early-hints HTTP/1.0\r\n\r\n")
        assert data.startswith(b"HTTP/1.0 200 OK\r\n")  # ignored for HTTP/1.0
        assert_validator_clean(srv)


def read_all(s):
    data = b""
    while True:
        c = s.recv(65536)
        if not c:
            return data
        data += c


def test_gunicorn_socket(worker):
    with Server("-k", worker, "wsgi_apps:app") as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(b"GET /socket HTTP/1.0\r\n\r\n")
        info = json.loads(split_response(read_all(s))[2])
        assert info["peer"] == list(s.getsockname())
        assert info["sockname"] == list(s.getpeername())
        assert info["fileno_ok"] is True
        # A real socket.socket (gevent's under coro, as gunicorn's gevent
        # worker), family/type as the connection's; setsockopt reaches it.
        assert info["is_socket"] is True, info
        assert (info["family"], info["socktype"]) == (socket.AF_INET, socket.SOCK_STREAM)
        assert info["nodelay"] is True
        # Blocking, as gunicorn's (gevent: cooperative, timeout None, fd non-blocking).
        assert info["timeout"] is None
        assert info["fd_blocking"] is (worker != "coro")
        s.close()
        # An object the app kept lets go of the fd when its request ends.
        assert json.loads(get(srv.port, "/socket-kept")[1]) == {"filenos": [-1]}
        assert get(srv.port, "/pid")[0].status == 200
        # Keep-alive: every request of a connection gets a working socket
        # (coro keeps one per connection); none outlives the connection.
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        ids = set()
        for _ in range(3):
            conn.request("GET", "/socket")
            client_addr = list(conn.sock.getsockname())  # (sync closes after each response)
            info = json.loads(conn.getresponse().read())
            assert info["peer"] == client_addr and info["is_socket"] is True
            ids.add(info["id"])
        if worker == "coro":
            assert len(ids) == 1  # made once per connection (a gevent socket costs more than a request)
        conn.close()
        assert wait_for(lambda: json.loads(get(srv.port, "/socket-kept")[1]) == {"filenos": [-1] * 4}, 10)
        # Nor does one only weakly referenced (it is not re-used for another connection).
        get(srv.port, "/socket-weakref")
        for _ in range(3):
            assert json.loads(get(srv.port, "/socket-weakref?check")[1])["filenos"] in ([], [-1])


def test_gunicorn_socket_sendall_and_close(worker):
    with Server("-k", worker, "wsgi_apps:app") as srv:
        n = 8 * 1024 * 1024  # more than the socket buffers: sendall has to wait
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=20)
        s.sendall(b"GET /socket-sendall?%d HTTP/1.0\r\n\r\n" % n)
        data = read_all(s)
        s.close()
        assert data[:n + 1] == b"x" * n + b"|"
        status, headers, body = split_response(data[n + 1:])
        assert (status, body) == ("HTTP/1.0 200 OK", b"done")
        # close() by the app ends the connection (what it wrote arrives)
        # without closing the worker's fd under it.
        data = raw(srv.port, b"GET /socket-close HTTP/1.1\r\nHost: x\r\n\r\n")
        assert data == b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nclosed"
        # detach() hands out a dup; the request still gets its response.
        resp, body = get(srv.port, "/socket-detach")
        assert resp.status == 200 and json.loads(body)["dup"] >= 0
        for _ in range(3):
            assert get(srv.port, "/pid")[0].status == 200
        assert "Traceback" not in srv.log_text()


def test_wsgi_errors_go_to_the_error_log(worker, tmp_path):
    errlog = str(tmp_path / "error.log")
    with Server("-k", worker, "--error-logfile", errlog, "wsgi_apps:validated", wait=False) as srv:
        assert wait_for(lambda: os.path.exists(errlog) and "Booting worker" in open(errlog).read()
                        and srv.connectable(), 15)
        assert get(srv.port, "/errors")[1] == b"logged"
        assert wait_for(lambda: "wsgi-errors-marker two" in open(errlog).read())
        text = open(errlog).read()
        assert "wsgi-errors-marker one\nwsgi-errors-marker two\n" in text


@pytest.fixture()
def served_file(tmp_path):
    path = tmp_path / "payload.bin"
    path.write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    return str(path)


def test_file_wrapper_uses_sendfile(worker, served_file):
    data_all = open(served_file, "rb").read()
    with Server("-k", worker, "wsgi_apps:app", env={"FILE_TO_SERVE": served_file}) as srv:
        resp, body = get(srv.port, "/file")
        assert resp.status == 200 and body == data_all
        assert resp.getheader("Transfer-Encoding") == "chunked"
        # HTTP/1.0: no chunking, body until close; from the file's current offset
        status, headers, body = split_response(raw(srv.port, b"GET /file?1000 HTTP/1.0\r\n\r\n"))
        assert body == data_all[1000:]
        # Content-Length caps what is sent
        resp, body = get(srv.port, "/file/length?5")
        assert body == data_all[5:15] and resp.getheader("Content-Length") == "10"
        # HEAD: no body at all
        status, headers, body = split_response(raw(srv.port, b"HEAD /file HTTP/1.1\r\nHost: x\r\n\r\n"))
        assert status == "HTTP/1.1 200 OK" and body == b""
        assert json.loads(get(srv.port, "/file-reads")[1]) == {"reads": 0}


def test_file_wrapper_without_sendfile(worker, served_file):
    data_all = open(served_file, "rb").read()
    with Server("-k", worker, "--no-sendfile", "wsgi_apps:app", env={"FILE_TO_SERVE": served_file}) as srv:
        resp, body = get(srv.port, "/file")
        assert body == data_all
        assert json.loads(get(srv.port, "/file-reads")[1])["reads"] > 0
        resp, body = get(srv.port, "/bytesio")
        assert body == b"from a BytesIO " * 3


def test_file_wrapper_under_validator(worker, served_file):
    with Server("-k", worker, "wsgi_apps:validated", env={"FILE_TO_SERVE": served_file}) as srv:
        resp, body = get(srv.port, "/file")
        assert body == open(served_file, "rb").read()
        resp, body = get(srv.port, "/bytesio")
        assert body == b"from a BytesIO " * 3
        assert_validator_clean(srv)
