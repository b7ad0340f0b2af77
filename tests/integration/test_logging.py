"""Access log, error log, USR1, capture_output and Python logging, compared
with Debian's gunicorn 20.1 where the output must be the same."""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from server import APPS, Server, free_port, wait_for

GUNICORN = "/usr/bin/gunicorn"

# Every atom whose value does not depend on time, pid or ports.
STABLE_FORMAT = ('%(h)s %(l)s %(u)s "%(r)s" %(s)s %(m)s %(U)s %(q)s %(H)s %(b)s %(B)s "%(f)s" "%(a)s" '
                 '%({x-test}i)s %({X-TEST}i)s %({content-type}o)s %({x-resp}o)s %({set-cookie}o)s '
                 '%({path_info}e)s %({query_string}e)s %({http_x_test}e)s %({REQUEST_METHOD}e)s '
                 '%({raw_uri}e)s %({server_protocol}e)s %({remote_addr}e)s %({content_type}e)s %({nope}e)s '
                 '%(nope)s %({nope}i)s %({nope}o)s %(B)05d %(s)r %(a)r %(h)-12s| %(m).2s %(B)x %(B)#o 100%%')
TIME_FORMAT = '%(t)s %(T)s %(D)s %(M)s %(L)s %(p)s'

# (raw request bytes) — sent identically to both servers.
REQUESTS = [
    b"GET /path/x?x=1&y=2 HTTP/1.1\r\nHost: h\r\nReferer: http://ref.example/a\r\n"
    b"User-Agent: curl/8.0 \"quoted\"\r\nAuthorization: Basic YWxpY2U6c2VjcmV0\r\n\r\n",
    b"POST /with%20space/%C3%A9?q=a%22b HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 5\r\nX-Test: he said \"hi\"\r\nX-Test: second\r\n\r\nhello",
    b"GET / HTTP/1.0\r\n\r\n",
    b"GET /stream HTTP/1.1\r\nHost: h\r\nUser-Agent: it's\r\n\r\n",
    b"GET /stream HTTP/1.0\r\nHost: h\r\n\r\n",
    b"GET /notfound?a=%20 HTTP/1.1\r\nHost: h\r\nAuthorization: Basic !!!\r\n\r\n",
    b"GET /error HTTP/1.1\r\nHost: h\r\nX-Test: err\r\nReferer: r\r\n\r\n",
    b"GET /latin HTTP/1.1\r\nHost: h\r\nUser-Agent: caf\xe9\r\n\r\n",
]


def send_raw(port, data, timeout=10):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


class Gunicorn:
    """Debian's gunicorn 20.1 with the same arguments, for side-by-side output."""

    def __init__(self, *args):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="gunicorn-log-", suffix=".txt", delete=False)
        env = dict(os.environ)
        env.pop("GUNICORN_CMD_ARGS", None)
        self.proc = subprocess.Popen([GUNICORN, "-b", "127.0.0.1:%d" % self.port] + list(args), cwd=APPS,
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        ok = wait_for(lambda: self.proc.poll() is not None or self._connectable(), 15)
        if not ok or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError("gunicorn did not start")

    def _connectable(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        os.unlink(self.log.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def read_lines(path, count, timeout=10):
    def lines():
        if not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            data = f.read().splitlines()
        return data if len(data) >= count else None
    return wait_for(lines, timeout) or (open(path, "rb").read().splitlines() if os.path.exists(path) else [])


def run_both(tmp_path, fmt, requests=REQUESTS, ours_args=()):
    """The access-log lines of gunicornpp and gunicorn 20.1 for the same requests."""
    ours_log, theirs_log = str(tmp_path / "ours.log"), str(tmp_path / "theirs.log")
    args = ["--access-logformat", fmt, "logging_app:app"]
    with Server("--access-logfile", ours_log, *ours_args, *args) as ours, \
            Gunicorn("--access-logfile", theirs_log, *args) as theirs:
        for raw in requests:
            send_raw(ours.port, raw)
            send_raw(theirs.port, raw)
        return read_lines(ours_log, len(requests)), read_lines(theirs_log, len(requests))


@pytest.mark.skipif(not os.path.exists(GUNICORN), reason="Debian's gunicorn is not installed")
def test_access_log_matches_gunicorn_byte_for_byte(tmp_path):
    ours, theirs = run_both(tmp_path, STABLE_FORMAT)
    assert len(theirs) == len(REQUESTS)
    assert ours == theirs


# {var}e atoms for keys the app or a middleware set (str, int, None, other
# objects, mixed-case keys, a key changed while the body is iterated).
APP_ENVIRON_FORMAT = ('%({remote_user}e)s|%({myapp.user_id}e)s|%({myapp.user_id}e)05d|%({MYAPP.MIXED}e)s|'
                      '%({myapp.none}e)s|%({myapp.list}e)s|%({myapp.flag}e)s|%({http_x_added}e)s|'
                      '%({myapp.missing}e)s|%({remote_user}e).5s|%({query_string}e)s|%(u)s %(s)s')


@pytest.mark.skipif(not os.path.exists(GUNICORN), reason="Debian's gunicorn is not installed")
@pytest.mark.parametrize("worker", ["sync", "gthread", "coro"])
def test_app_environ_keys_match_gunicorn(tmp_path, worker):
    # (Not /error: its line has no app keys, so %05d of "-" drops it in both.)
    requests = [r for r in REQUESTS if b"/error" not in r] + [b"GET /late HTTP/1.1\r\nHost: h\r\n\r\n"]
    ours, theirs = run_both(tmp_path, APP_ENVIRON_FORMAT, requests, ours_args=("-k", worker))
    assert len(theirs) == len(requests)
    assert theirs[0] == b'alice \\"the\\" admin|42|00042|mixed-case key|None|[\'a\', 1, \'q"q\']|True|' \
                        b'by middleware|-|alice|x=1&y=2|alice 201'
    assert ours == theirs


@pytest.mark.skipif(not os.path.exists(GUNICORN), reason="Debian's gunicorn is not installed")
def test_default_format_matches_gunicorn_except_time(tmp_path):
    ours, theirs = run_both(tmp_path, '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"')
    stamp = re.compile(rb"\[\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]")
    assert all(stamp.search(line) for line in ours)
    assert [stamp.sub(b"[T]", l) for l in ours] == [stamp.sub(b"[T]", l) for l in theirs]


def test_head_counts_no_body_bytes_as_gunicorn_26(tmp_path):
    # gunicorn 20.1 logged the 13 bytes a HEAD response never sent; 26.1 drops them (b = 0).
    path = str(tmp_path / "access.log")
    with Server("--access-logfile", path, "logging_app:app") as srv:
        send_raw(srv.port, b"HEAD /head HTTP/1.1\r\nHost: h\r\n\r\n")
        assert read_lines(path, 1) == [b'127.0.0.1 - - [' + read_lines(path, 1)[0].split(b"[")[1].split(b"]")[0] +
                                       b'] "HEAD /head HTTP/1.1" 201 0 "-" "-"']


def test_time_atoms_have_gunicorns_shapes(tmp_path):
    path = str(tmp_path / "access.log")
    with Server("--access-logfile", path, "--access-logformat", TIME_FORMAT, "logging_app:app") as srv:
        send_raw(srv.port, REQUESTS[0])
        (line,) = read_lines(path, 1)
        workers = srv.workers()
    m = re.fullmatch(rb"\[\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] (\d+) (\d+) (\d+) (\d+)\.(\d{6}) <(\d+)>", line)
    assert m, line
    t, d, ms, l_s, l_us, pid = (int(x) for x in m.groups())
    assert t == l_s == d // 1000000 and ms == d // 1000 and l_us == d % 1000000
    assert pid in workers


def test_access_log_to_stdout_and_off_by_default():
    with Server("logging_app:app") as srv:
        send_raw(srv.port, b"GET /quiet HTTP/1.0\r\n\r\n")
        time.sleep(0.3)
        assert "/quiet" not in srv.log_text()
    with Server("--access-logfile", "-", "logging_app:app") as srv:
        send_raw(srv.port, b"GET /loud HTTP/1.0\r\n\r\n")
        assert wait_for(lambda: '"GET /loud HTTP/1.0" 201 13 "-" "-"' in srv.log_text())


def test_usr1_reopens_access_and_error_logs(tmp_path):
    access, error = str(tmp_path / "access.log"), str(tmp_path / "error.log")
    with Server("--access-logfile", access, "--error-logfile", error, "logging_app:app", wait=False) as srv:
        assert wait_for(lambda: os.path.exists(error) and "Booting worker" in open(error).read())
        send_raw(srv.port, b"GET /before HTTP/1.0\r\n\r\n")
        assert read_lines(access, 1)
        os.rename(access, access + ".1")
        os.rename(error, error + ".1")
        srv.signal(signal.SIGUSR1)
        assert wait_for(lambda: os.path.exists(access) and os.path.exists(error))
        time.sleep(0.3)  # the worker reopens on its next loop turn
        send_raw(srv.port, b"GET /after HTTP/1.0\r\n\r\n")
        assert wait_for(lambda: b"/after" in open(access, "rb").read())
        assert b"/after" not in open(access + ".1", "rb").read()
        assert b"/before" in open(access + ".1", "rb").read()
        # The arbiter logs the signal before it reopens: that line is the old file's last.
        assert "Handling signal: usr1" in open(error + ".1").read()


def test_capture_output_sends_app_prints_to_the_error_log(tmp_path):
    error = str(tmp_path / "error.log")
    with Server("--error-logfile", error, "--capture-output", "logging_app:app", wait=False) as srv:
        assert wait_for(lambda: os.path.exists(error) and "Booting worker" in open(error).read())
        assert wait_for(srv.connectable)
        send_raw(srv.port, b"GET /print HTTP/1.0\r\n\r\n")
        assert wait_for(lambda: "written to stderr by the app" in open(error).read())
        assert wait_for(lambda: "printed to stdout by the app" in open(error).read())
        assert "printed to stdout" not in srv.log_text()


ERROR_LINE = r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] \[\d+\] \[%s\] %s"


def test_python_logging_from_the_app_reaches_the_error_log(tmp_path):
    error = str(tmp_path / "error.log")
    with Server("--error-logfile", error, "logging_app:app", wait=False) as srv:
        assert wait_for(lambda: os.path.exists(error) and "Booting worker" in open(error).read())
        assert wait_for(srv.connectable)
        send_raw(srv.port, b"GET /pylog HTTP/1.0\r\n\r\n")
        assert wait_for(lambda: "app warns via gunicorn.error" in open(error).read())
        text = open(error).read()
        # The app's own logger has no handler: Python's last resort (stderr), as under gunicorn.
        assert wait_for(lambda: "app warns via its own logger" in srv.log_text())
    assert re.search(ERROR_LINE % ("INFO", "app says hello via gunicorn.error"), text)
    assert re.search(ERROR_LINE % ("WARNING", "app warns via gunicorn.error"), text)


LOGCONFIG = {
    "version": 1,
    "root": {"level": "WARNING", "handlers": ["file"]},  # the defaults' root names "console", replaced here
    "formatters": {"custom": {"format": "CUSTOM %(levelname)s %(name)s %(message)s"}},
    "handlers": {"file": {"class": "logging.FileHandler", "formatter": "custom", "filename": "FILE"}},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["file"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["file"], "propagate": False},
    },
}


def check_custom_log(path, srv):
    assert wait_for(lambda: os.path.exists(path) and "Booting worker" in open(path).read())
    assert wait_for(srv.connectable)
    send_raw(srv.port, b"GET /pylog HTTP/1.0\r\n\r\n")
    assert wait_for(lambda: "gunicorn.access 127.0.0.1" in open(path).read())
    text = open(path).read()
    assert re.search(r"CUSTOM INFO gunicorn.error Booting worker with pid: \d+", text)
    assert "CUSTOM INFO gunicorn.error app says hello via gunicorn.error" in text
    assert re.search(r'CUSTOM INFO gunicorn.access 127.0.0.1 - - \[.*\] "GET /pylog HTTP/1.0" 201 13 "-" "-"', text)


def test_logconfig_dict_applies(tmp_path):
    import json
    path = str(tmp_path / "custom.log")
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text("logconfig_dict = %r\n" % json.loads(json.dumps(LOGCONFIG).replace("FILE", path)))
    with Server("-c", str(conf), "logging_app:app", wait=False) as srv:
        check_custom_log(path, srv)


def test_log_config_json_applies(tmp_path):
    import json
    path = str(tmp_path / "custom.log")
    conf = tmp_path / "logging.json"
    conf.write_text(json.dumps(LOGCONFIG).replace("FILE", path))
    with Server("--log-config-json", str(conf), "logging_app:app", wait=False) as srv:
        check_custom_log(path, srv)


def test_syslog_over_udp():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        udp.settimeout(5)
        addr = "udp://127.0.0.1:%d" % udp.getsockname()[1]
        with Server("--log-syslog", "--log-syslog-to", addr, "--log-syslog-prefix", "web",
                    "--log-syslog-facility", "local1", "logging_app:app") as srv:
            send_raw(srv.port, b"GET /syslogged HTTP/1.0\r\n\r\n")
            got = []
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not any(b"/syslogged" in d for d in got):
                got.append(udp.recv(65536))
    # <PRI> = facility local1 (17) * 8 + info (6) = 142
    assert any(re.fullmatch(rb"<142>gunicorn\.web\.error: \[\d+\] Booting worker with pid: \d+\x00", d)
               for d in got), got
    assert any(re.fullmatch(rb'<142>gunicorn\.web\.access: \[\d+\] 127\.0\.0\.1 - - \[.*\] '
                            rb'"GET /syslogged HTTP/1\.0" 201 13 "-" "-"\x00', d) for d in got), got


def _text(path):
    return open(path, errors="replace").read() if os.path.exists(path) else ""


def test_hup_reapplies_logging(tmp_path):
    """gunicorn's reload runs Logger.setup(cfg) again: a HUP after the config
    file changed loglevel, errorlog, accesslog and access_log_format applies
    them (in the arbiter and the new workers); the old file gets no new lines."""
    old_log, new_log = str(tmp_path / "a.log"), str(tmp_path / "b.log")
    conf = tmp_path / "gunicorn.conf.py"
    template = "loglevel = %r\nerrorlog = %r\naccesslog = %r\naccess_log_format = %r\n"
    conf.write_text(template % ("info", old_log, old_log, "OLD %(s)s"))
    with Server("-c", str(conf), "logging_app:app", wait=False) as srv:
        assert wait_for(lambda: "Booting worker" in _text(old_log) and srv.connectable(), 20), _text(old_log)
        send_raw(srv.port, b"GET /pydebug HTTP/1.0\r\n\r\n")
        send_raw(srv.port, b"GET /\x01 HTTP/1.1\r\n\r\n")
        assert wait_for(lambda: "OLD 201" in _text(old_log), 10)
        assert "app debug line" not in _text(old_log) and "Invalid request" not in _text(old_log)

        conf.write_text(template % ("debug", new_log, new_log, "NEW %(s)s %(m)s"))
        old_workers = set(srv.workers())
        srv.signal(signal.SIGHUP)
        assert wait_for(lambda: "Booting worker" in _text(new_log), 20), _text(new_log) + _text(old_log)
        assert wait_for(lambda: srv.workers() and not old_workers & set(srv.workers()), 20)
        time.sleep(0.5)  # the old worker's last lines ("Worker exiting") land in the old file
        old_size = len(_text(old_log))

        send_raw(srv.port, b"GET /pydebug HTTP/1.0\r\n\r\n")
        send_raw(srv.port, b"GET /\x01 HTTP/1.1\r\n\r\n")
        assert wait_for(lambda: "NEW 201 GET" in _text(new_log), 10), _text(new_log)
        assert wait_for(lambda: "app debug line via gunicorn.error" in _text(new_log), 10), _text(new_log)
        assert wait_for(lambda: "[DEBUG] Invalid request from fd" in _text(new_log), 10), _text(new_log)
        srv.signal(signal.SIGUSR1)  # the arbiter writes to the new file too
        assert wait_for(lambda: "Handling signal: usr1" in _text(new_log), 10), _text(new_log)
        assert len(_text(old_log)) == old_size, _text(old_log)[old_size:]
        assert "OLD" not in _text(new_log)


def test_hup_with_a_broken_logging_config_keeps_the_previous_one(tmp_path):
    old_log, new_log = str(tmp_path / "a.log"), str(tmp_path / "b.log")
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text("errorlog = %r\n" % old_log)
    with Server("-c", str(conf), "logging_app:app", wait=False) as srv:
        assert wait_for(lambda: "Booting worker" in _text(old_log) and srv.connectable(), 20), _text(old_log)
        conf.write_text("errorlog = %r\nlogconfig = %r\n" % (new_log, str(tmp_path / "missing.ini")))
        srv.signal(signal.SIGHUP)
        # gunicorn 26.1: the failure goes to stderr, the previous logger stays.
        assert wait_for(lambda: "Error: reloading the logger configuration failed, keeping the previous one"
                        in srv.log_text(), 10), srv.log_text()
        assert wait_for(lambda: _text(old_log).count("Booting worker") >= 2, 20), _text(old_log)
        assert srv.connectable()
        srv.signal(signal.SIGUSR1)
        assert wait_for(lambda: "Handling signal: usr1" in _text(old_log), 10)
        assert "Handling signal" not in _text(new_log)
        assert "Error: invalid logging configuration" in _text(old_log)  # reported where logging stays
