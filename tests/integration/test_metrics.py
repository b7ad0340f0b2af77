"""The Prometheus endpoint (--metrics-bind): counters the workers keep in
shared memory, served by the arbiter. Real binary, real clients, real signals."""
import os
import re
import signal
import socket
import threading
import time

import pytest

from server import Server, free_port, wait_for

APP = "metrics_app:app"
CLASSES = {
    "sync": ["-k", "sync"],
    "gthread": ["-k", "gthread", "--threads", "4"],
    "coro": ["-k", "coro"],
}
SAMPLE = re.compile(r'^([a-z_]+)(?:\{([^}]*)\})? (\S+)$')


def http_get(port, path, timeout=10, unix=None, method="GET"):
    """One request on a new connection; returns (status, headers dict, body bytes)."""
    if unix:
        sock = socket.socket(socket.AF_UNIX)
        sock.settimeout(timeout)
        sock.connect(unix)
    else:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    with sock:
        sock.sendall(("%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % (method, path)).encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def parse(text):
    """{(name, frozenset(labels)): float}; checks every sample has HELP and TYPE first."""
    out = {}
    typed = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, line
        name, labels, value = m.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name.startswith(
            "gunicornpp_request_duration_seconds") else name
        assert family in typed, line
        label_set = frozenset(tuple(kv.split("=", 1)) for kv in labels.split(",")) if labels else frozenset()
        out[(name, frozenset((k, v.strip('"')) for k, v in label_set))] = float(value)
    return out


def scrape(port, unix=None):
    status, headers, body = http_get(port, "/metrics", unix=unix)
    assert status == 200
    assert headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert int(headers["content-length"]) == len(body)
    return parse(body.decode())


def value(m, name, **labels):
    return m.get((name, frozenset(labels.items())), 0.0)


def requests_by_status(m):
    return {dict(k[1])["status"]: v for k, v in m.items() if k[0] == "gunicornpp_requests_total"}


def restarts(m, reason):
    return value(m, "gunicornpp_worker_restarts_total", reason=reason)


def start(klass, *extra, workers=2, mport=None):
    mport = mport or free_port()
    srv = Server("-w", str(workers), *CLASSES[klass], "--metrics-bind", "127.0.0.1:%d" % mport, *extra, APP,
                 wait=False)
    srv.wait_ready(workers=workers)
    assert wait_for(lambda: "Metrics endpoint at: http://127.0.0.1:%d/metrics" % mport in srv.log_text())
    return srv, mport


def send_mix(port, per_thread, threads):
    """Client threads sending 200/404/500/slow requests; returns Counter of statuses received."""
    paths = ["/", "/missing", "/", "/error", "/slow?t=0.03", "/"]
    got = {}
    lock = threading.Lock()

    def client(tid):
        mine = {}
        for i in range(per_thread):
            status, _, _ = http_get(port, paths[(i + tid) % len(paths)], timeout=30)
            mine[str(status)] = mine.get(str(status), 0) + 1
        with lock:
            for k, v in mine.items():
                got[k] = got.get(k, 0) + v

    ts = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    return ts, got


@pytest.mark.parametrize("klass", sorted(CLASSES))
def test_counters_add_up_under_load(klass):
    srv, mport = start(klass)
    with srv:
        threads, got = send_mix(srv.port, per_thread=40, threads=6)
        previous = {}
        scrapes = 0
        while any(t.is_alive() for t in threads):
            m = scrape(mport)  # during the load: never goes backwards
            now = requests_by_status(m)
            for status, count in previous.items():
                assert now.get(status, 0) >= count
            previous = now
            scrapes += 1
            time.sleep(0.05)
        for t in threads:
            t.join()
        assert scrapes >= 1
        assert got == {"200": 160, "404": 40, "500": 40}
        m = scrape(mport)
        assert {k: int(v) for k, v in requests_by_status(m).items()} == got
        count = value(m, "gunicornpp_request_duration_seconds_count")
        assert count == 240
        assert value(m, "gunicornpp_request_duration_seconds_bucket", le="+Inf") == 240
        buckets = sorted((float(dict(k[1])["le"]), v) for k, v in m.items()
                         if k[0] == "gunicornpp_request_duration_seconds_bucket")
        assert [v for _, v in buckets] == sorted(v for _, v in buckets)  # cumulative
        assert value(m, "gunicornpp_request_duration_seconds_sum") >= 40 * 0.03
        # 40 slow requests of 30 ms are above the 25 ms bucket.
        assert value(m, "gunicornpp_request_duration_seconds_bucket", le="0.025") <= 200
        assert value(m, "gunicornpp_requests_in_flight") == 0
        assert value(m, "gunicornpp_workers", state="idle") == 2
        assert value(m, "gunicornpp_workers", state="busy") == 0
        pids = {int(dict(k[1])["pid"]) for k in m if k[0] == "gunicornpp_worker_rss_bytes"}
        assert pids == set(srv.workers())
        for pid in pids:
            assert value(m, "gunicornpp_worker_rss_bytes", pid=str(pid)) > 1_000_000
        assert sum(restarts(m, r) for r in ("crash", "oom", "timeout", "max_requests")) == 0


@pytest.mark.parametrize("klass", sorted(CLASSES))
def test_in_flight_and_oldest_age(klass):
    srv, mport = start(klass, "--timeout", "30")
    with srv:
        first = threading.Thread(target=http_get, args=(srv.port, "/slow?t=6"), kwargs={"timeout": 30})
        t0 = time.monotonic()
        first.start()
        assert wait_for(lambda: value(scrape(mport), "gunicornpp_requests_in_flight") == 1, timeout=10)
        time.sleep(1.0)
        # A younger request alongside (another worker for sync, the same or another for the others).
        second = threading.Thread(target=http_get, args=(srv.port, "/slow?t=2"), kwargs={"timeout": 30})
        second.start()
        assert wait_for(lambda: value(scrape(mport), "gunicornpp_requests_in_flight") == 2, timeout=10)
        m = scrape(mport)
        age = value(m, "gunicornpp_oldest_request_age_seconds")
        # The oldest is the first request, not the second one.
        assert 1.0 <= age <= time.monotonic() - t0 + 0.1
        assert value(m, "gunicornpp_workers", state="busy") >= 1
        assert value(m, "gunicornpp_workers", state="busy") + value(m, "gunicornpp_workers", state="idle") == 2
        first.join()
        second.join()
        m = wait_for(lambda: (lambda s: s if value(s, "gunicornpp_requests_in_flight") == 0 else None)(scrape(mport)))
        assert m
        assert value(m, "gunicornpp_oldest_request_age_seconds") == 0
        assert value(m, "gunicornpp_workers", state="busy") == 0
        assert value(m, "gunicornpp_requests_total", status="200") == 2
        assert value(m, "gunicornpp_request_duration_seconds_bucket", le="2.5") == 1


@pytest.mark.parametrize("klass", sorted(CLASSES))
def test_restarts_crash_and_max_requests(klass):
    srv, mport = start(klass, "--max-requests", "5")
    with srv:
        victim = srv.workers()[0]
        os.kill(victim, signal.SIGKILL)
        assert wait_for(lambda: restarts(scrape(mport), "crash") == 1, timeout=10)
        # kill -9 by someone else is a crash unless the kernel's oom_kill count rose.
        assert restarts(scrape(mport), "oom") == 0
        assert wait_for(lambda: len(srv.workers()) == 2 and victim not in srv.workers())
        # Surge-first: a worker past max_requests serves on until its
        # replacement is ready, so how many requests it takes varies; send
        # until two have been recycled (bounded), then check the counts.
        sent = 0
        deadline = time.monotonic() + 30
        while restarts(scrape(mport), "max_requests") < 2 and time.monotonic() < deadline:
            for _ in range(10):
                assert http_get(srv.port, "/")[0] == 200
                sent += 1
            time.sleep(0.1)
        m = scrape(mport)
        assert restarts(m, "max_requests") >= 2
        assert restarts(m, "crash") == 1
        assert restarts(m, "timeout") == 0
        assert value(m, "gunicornpp_requests_total", status="200") == sent


def test_restart_timeout_for_a_hung_worker():
    srv, mport = start("sync", "--timeout", "2", "--graceful-timeout", "2")
    with srv:
        threading.Thread(target=lambda: _quiet_get(srv.port, "/hang"), daemon=True).start()
        assert wait_for(lambda: restarts(scrape(mport), "timeout") == 1, timeout=20)
        assert "WORKER TIMEOUT" in srv.log_text()
        m = scrape(mport)
        assert restarts(m, "crash") == 0
        assert value(m, "gunicornpp_requests_in_flight") == 0


def test_restart_request_timeout_gthread():
    srv, mport = start("gthread", "--request-timeout", "1", "--graceful-timeout", "10", workers=1)
    with srv:
        assert http_get(srv.port, "/slow?t=2.5", timeout=30)[0] == 200
        assert wait_for(lambda: restarts(scrape(mport), "request_timeout") == 1, timeout=20)
        m = scrape(mport)
        assert restarts(m, "crash") == 0 and restarts(m, "timeout") == 0
        assert value(m, "gunicornpp_requests_total", status="200") == 1


def _quiet_get(port, path):
    try:
        http_get(port, path, timeout=30)
    except (OSError, IndexError):  # the worker is killed: no answer
        pass


@pytest.mark.parametrize("klass", sorted(CLASSES))
def test_counters_survive_hup_and_ttou(klass):
    srv, mport = start(klass)
    with srv:
        for _ in range(20):
            http_get(srv.port, "/")
        before = scrape(mport)
        assert value(before, "gunicornpp_requests_total", status="200") == 20
        old = set(srv.workers())
        srv.signal(signal.SIGHUP)
        assert wait_for(lambda: restarts(scrape(mport), "reload") == 2, timeout=20)
        assert wait_for(lambda: len(set(srv.workers()) & old) == 0 and len(srv.workers()) == 2)
        m = scrape(mport)
        assert value(m, "gunicornpp_requests_total", status="200") == 20  # the old generation's counts stay
        for _ in range(10):
            http_get(srv.port, "/")
        srv.signal(signal.SIGTTOU)
        assert wait_for(lambda: restarts(scrape(mport), "scale_down") == 1, timeout=20)
        m = scrape(mport)
        assert value(m, "gunicornpp_requests_total", status="200") == 30
        assert restarts(m, "crash") == 0 and restarts(m, "reload") == 2
        assert value(m, "gunicornpp_workers", state="idle") == 1


def test_other_paths_head_and_methods():
    srv, mport = start("sync", workers=1)
    with srv:
        assert http_get(mport, "/")[0] == 404
        assert http_get(mport, "/metricsx")[0] == 404
        status, headers, body = http_get(mport, "/metrics?x=1", method="HEAD")
        assert status == 200 and body == b"" and int(headers["content-length"]) > 100
        assert http_get(mport, "/metrics", method="POST")[0] == 405
        # A client that sends nothing does not block the next scrape for long.
        idle = socket.create_connection(("127.0.0.1", mport))
        try:
            t0 = time.monotonic()
            scrape(mport)
            assert time.monotonic() - t0 < 8
        finally:
            idle.close()
        # An oversized head is refused, the endpoint lives on.
        with socket.create_connection(("127.0.0.1", mport), timeout=10) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 10000)
            assert s.recv(100).startswith(b"HTTP/1.1 431")
        scrape(mport)


def _socket_inodes(pid):
    out = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def _listen_inode(port):
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1].endswith(":%04X" % port) and fields[3] == "0A":
                return fields[9]
    return None


def test_listener_stays_in_the_arbiter_and_follows_hup(tmp_path):
    m1, m2 = free_port(), free_port()
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text("metrics_bind = '127.0.0.1:%d'\n" % m1)
    srv = Server("-c", str(conf), "-w", "2", APP, wait=False)
    with srv:
        srv.wait_ready(workers=2)
        assert wait_for(lambda: _listen_inode(m1))
        inode = _listen_inode(m1)
        assert inode in _socket_inodes(srv.proc.pid)
        for pid in srv.workers():
            assert inode not in _socket_inodes(pid)
        http_get(srv.port, "/")
        assert value(scrape(m1), "gunicornpp_requests_total", status="200") == 1
        conf.write_text("metrics_bind = '127.0.0.1:%d'\n" % m2)
        srv.signal(signal.SIGHUP)
        assert wait_for(lambda: "Metrics endpoint at: http://127.0.0.1:%d/metrics" % m2 in srv.log_text())
        assert value(scrape(m2), "gunicornpp_requests_total", status="200") == 1
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", m1), timeout=5)


def test_unix_socket_endpoint(tmp_path):
    path = str(tmp_path / "metrics.sock")
    srv = Server("-w", "1", "--metrics-bind", "unix:" + path, APP, wait=False)
    with srv:
        srv.wait_ready(workers=1)
        assert wait_for(lambda: os.path.exists(path))
        http_get(srv.port, "/missing")
        m = scrape(None, unix=path)
        assert value(m, "gunicornpp_requests_total", status="404") == 1
    assert srv.proc.returncode == 0
    assert not os.path.exists(path)


def test_usr2_master_takes_the_endpoint_over(tmp_path):
    pidfile = str(tmp_path / "app.pid")
    srv, mport = start("sync", "--pid", pidfile, workers=1)
    with srv:
        http_get(srv.port, "/")
        srv.signal(signal.SIGUSR2)
        assert wait_for(lambda: os.path.exists(pidfile + ".2"), timeout=15)
        new_master = int(open(pidfile + ".2").read())
        assert wait_for(lambda: "retrying while the old master runs" in srv.log_text(), timeout=15)
        assert value(scrape(mport), "gunicornpp_requests_total", status="200") == 1  # still the old master
        srv.signal(signal.SIGTERM)
        assert srv.wait_exit(15) == 0
        try:
            assert wait_for(lambda: srv.log_text().count("Metrics endpoint at:") == 2, timeout=15)
            http_get(srv.port, "/missing")
            m = scrape(mport)  # the new master's counters, from zero
            assert value(m, "gunicornpp_requests_total", status="404") == 1
            assert value(m, "gunicornpp_requests_total", status="200") == 0
        finally:
            os.kill(new_master, signal.SIGTERM)
            wait_for(lambda: not os.path.exists("/proc/%d" % new_master) or
                     open("/proc/%d/stat" % new_master).read().split(") ")[1][0] == "Z", timeout=15)


def _shared_anon_maps(pid):
    with open("/proc/%d/maps" % pid) as f:
        return [line for line in f if "/dev/zero (deleted)" in line]


def test_off_by_default_nothing_mapped_or_bound():
    with Server("-w", "1", APP) as srv:
        srv.wait_ready(workers=1)
        assert "Metrics endpoint" not in srv.log_text()
        assert _shared_anon_maps(srv.proc.pid) == []
        assert _socket_inodes(srv.proc.pid) == set(
            _listen_inode(srv.port) and [_listen_inode(srv.port)] or [])
    srv, mport = start("sync", workers=1)
    with srv:
        assert len(_shared_anon_maps(srv.proc.pid)) == 1


def test_bad_address_fails_at_start():
    srv = Server("--metrics-bind", "127.0.0.1:notaport", APP, wait=False)
    with srv:
        assert srv.wait_exit(15) == 1
        assert "metrics" in srv.log_text().lower()


def test_hup_turns_it_on_and_off(tmp_path):
    mport = free_port()
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text("workers = 1\n")
    srv = Server("-c", str(conf), APP, wait=False)
    with srv:
        srv.wait_ready(workers=1)
        http_get(srv.port, "/")  # before the endpoint exists: not counted
        assert _shared_anon_maps(srv.proc.pid) == []
        conf.write_text("workers = 1\nmetrics_bind = '127.0.0.1:%d'\n" % mport)
        old = srv.workers()
        srv.signal(signal.SIGHUP)
        assert wait_for(lambda: "Metrics endpoint at: http://127.0.0.1:%d/metrics" % mport in srv.log_text())
        assert wait_for(lambda: srv.workers() and not set(srv.workers()) & set(old), timeout=15)
        http_get(srv.port, "/missing")
        m = scrape(mport)
        assert requests_by_status(m) == {"404": 1}
        assert value(m, "gunicornpp_workers", state="idle") == 1
        conf.write_text("workers = 1\n")
        srv.signal(signal.SIGHUP)
        assert wait_for(lambda: srv.log_text().count("Handling signal: hup") == 2)

        def refused():
            try:
                socket.create_connection(("127.0.0.1", mport), timeout=2).close()
                return False
            except ConnectionRefusedError:
                return True
        assert wait_for(refused, timeout=10)
