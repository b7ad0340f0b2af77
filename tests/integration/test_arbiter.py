"""The arbiter under load and under signals: gunicorn's supervision rules, zero
dropped requests, timeouts, exit codes, orphans."""
import os
import re
import signal
import socket
import threading
import time

import pytest

from loadgen import LoadGen, one_request
from server import APPS, Server, children_of, run_binary, wait_for


def get_status(port, path="/", timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def live_workers(srv, n, timeout=10):
    return wait_for(lambda: (lambda w: len(w) == n and w)(srv.workers()), timeout)


@pytest.mark.parametrize("klass", ["sync", "gthread"])
def test_no_failed_request_through_hup_ttin_ttou_and_max_requests(klass):
    with Server("-w", "3", "-k", klass, "--max-requests", "50", "--graceful-timeout", "10",
                "testapp:app") as srv:
        srv.wait_ready(workers=3)
        assert live_workers(srv, 3)
        with LoadGen(srv.port, rate=200) as load:
            time.sleep(1.5)
            for i in range(3):
                load.phase("hup%d" % i)
                srv.signal(signal.SIGHUP)
                time.sleep(2)
            for i in range(2):
                load.phase("ttin%d" % i)
                srv.signal(signal.SIGTTIN)
                time.sleep(1.5)
            load.phase("ttou")
            srv.signal(signal.SIGTTOU)
            time.sleep(1.5)
            load.phase("end")
            time.sleep(1)
        summary = load.summary()
        assert load.failures() == {}, summary
        for phase in ("start", "hup0", "hup1", "hup2", "ttin0", "ttin1", "ttou"):
            assert load.ok(phase) >= 150, summary
        assert live_workers(srv, 4), srv.workers()
        log = srv.log_text()
        assert log.count("Hang up: Master") == 3
        assert "Autorestarting worker after current request." in log
        assert "Traceback" not in log


def test_killed_worker_is_replaced_within_two_seconds():
    with Server("-w", "2", "testapp:app") as srv:
        srv.wait_ready(workers=2)
        victim = live_workers(srv, 2)[0]
        os.kill(victim, signal.SIGKILL)
        start = time.monotonic()
        assert wait_for(lambda: (lambda w: len(w) == 2 and victim not in w)(srv.workers()), timeout=2)
        assert time.monotonic() - start <= 2.0
        assert wait_for(lambda: "Worker (pid:%d) was sent SIGKILL! Perhaps out of memory?" % victim
                        in srv.log_text(), 2)


def test_term_answers_five_slow_requests_in_flight_and_exits_zero():
    with Server("-w", "5", "testapp:app") as srv:
        srv.wait_ready(workers=5)
        assert live_workers(srv, 5)
        results = []

        def slow():
            results.append(one_request(srv.port, "/slow?t=1.5", 10))

        threads = [threading.Thread(target=slow) for _ in range(5)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        srv.signal(signal.SIGTERM)
        code = srv.wait_exit(10)
        for t in threads:
            t.join()
        assert code == 0
        assert results == ["ok"] * 5
        assert srv.workers() == []


def test_hung_worker_times_out_and_is_replaced(tmp_path):
    with Server("-w", "1", "-t", "3", "testapp:app") as srv:
        victim = live_workers(srv, 1)[0]
        t = threading.Thread(target=lambda: one_request(srv.port, "/slow?t=60", 20), daemon=True)
        t.start()
        start = time.monotonic()
        assert wait_for(lambda: "WORKER TIMEOUT (pid:%d)" % victim in srv.log_text(), 8)
        replaced = wait_for(lambda: (lambda w: len(w) == 1 and victim not in w)(srv.workers()), 8)
        assert replaced and time.monotonic() - start < 8
        log = srv.log_text()
        assert "[CRITICAL] WORKER TIMEOUT (pid:%d)" % victim in log
        assert "Worker (pid:%d) exited with code 1." % victim in log
        # Beyond gunicorn: where the request was stuck.
        assert "Worker (pid:%d) timed out in:" % victim in log and "time.sleep" in log
        assert get_status(srv.port)[0] == 200


def test_ttou_never_goes_below_one_worker():
    with Server("-w", "2", "testapp:app") as srv:
        srv.wait_ready(workers=2)
        live_workers(srv, 2)
        for _ in range(3):
            srv.signal(signal.SIGTTOU)
            time.sleep(0.3)
        assert live_workers(srv, 1)
        time.sleep(1.2)
        assert len(srv.workers()) == 1
        assert get_status(srv.port)[0] == 200


def test_usr1_reopens_the_error_log_in_master_and_workers(tmp_path):
    log = tmp_path / "error.log"
    with Server("-w", "2", "--error-logfile", str(log), "testapp:app", wait=False) as srv:
        assert wait_for(lambda: log.exists() and log.read_text().count("Booting worker") >= 2)
        workers = live_workers(srv, 2)
        os.rename(log, tmp_path / "error.log.1")
        srv.signal(signal.SIGUSR1)
        assert wait_for(lambda: log.exists())

        def reopened(pid):
            fds = "/proc/%d/fd" % pid
            return any(os.readlink(os.path.join(fds, fd)) == str(log) for fd in os.listdir(fds))
        assert wait_for(lambda: all(reopened(p) for p in workers), 5)
        # A worker writes to the new file too.
        os.kill(workers[0], signal.SIGTERM)
        assert wait_for(lambda: "Worker exiting (pid: %d)" % workers[0] in log.read_text(), 5)
        assert "Handling signal: usr1" in (tmp_path / "error.log.1").read_text()


def test_winch_is_ignored_when_not_daemonized():
    with Server("-w", "2", "--log-level", "debug", "testapp:app") as srv:
        srv.wait_ready(workers=2)
        before = live_workers(srv, 2)
        srv.signal(signal.SIGWINCH)
        assert wait_for(lambda: "SIGWINCH ignored. Not daemonized" in srv.log_text(), 3)
        assert srv.workers() == before


def test_boot_error_halts_the_server_with_several_workers():
    code, out = run_binary("-w", "3", "-b", "127.0.0.1:0", "broken_import:app", cwd=APPS)
    assert code == 3, out
    assert "Reason: Worker failed to boot." in out
    code, out = run_binary("-w", "3", "-b", "127.0.0.1:0", "testapp:nope", cwd=APPS)
    assert code == 4, out
    assert "Reason: App failed to load." in out


def test_orphaned_workers_exit_when_the_arbiter_dies():
    with Server("-w", "2", "testapp:app") as srv:
        srv.wait_ready(workers=2)
        workers = live_workers(srv, 2)
        os.kill(srv.proc.pid, signal.SIGKILL)
        srv.proc.wait()
        gone = wait_for(lambda: not any(os.path.exists("/proc/%d" % p) and
                                        " Z " not in open("/proc/%d/stat" % p).read() for p in workers), 2)
        assert gone, "workers outlived the arbiter: %s" % workers


def test_hup_rereads_the_config_file_and_rebinds(tmp_path):
    from server import free_port
    conf = tmp_path / "gunicorn.conf.py"
    p1, p2 = free_port(), free_port()
    conf.write_text("workers = 2\nbind = ['127.0.0.1:%d']\n" % p1)
    # The Server helper passes -b, which would win over the file: start by hand.
    import subprocess
    from server import BINARY
    logf = tmp_path / "out.log"
    with open(logf, "w") as out:
        proc = subprocess.Popen([BINARY, "-c", str(conf), "testapp:app"], cwd=APPS, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_for(lambda: logf.read_text().count("Booting worker") >= 2, 10), logf.read_text()
        assert wait_for(lambda: len(children_of(proc.pid)) == 2)
        assert get_status(p1)[0] == 200
        conf.write_text("workers = 3\nbind = ['127.0.0.1:%d']\n" % p2)
        first_generation = set(children_of(proc.pid))
        os.kill(proc.pid, signal.SIGHUP)
        # Surge-first: the old generation (which still holds the old socket)
        # serves until the new one is ready, then leaves.
        assert wait_for(lambda: (lambda kids: len(kids) == 3 and not first_generation & set(kids))(
            children_of(proc.pid)), 15), logf.read_text()
        assert wait_for(lambda: "Listening at: http://127.0.0.1:%d" % p2 in logf.read_text(), 5)
        assert get_status(p2)[0] == 200
        try:
            socket.create_connection(("127.0.0.1", p1), timeout=1).close()
            still_open = True
        except OSError:
            still_open = False
        assert not still_open, "the old address is still bound"
        # A config that fails to load keeps the old one running.
        conf.write_text("workers = 'many'\n")
        before = children_of(proc.pid)
        os.kill(proc.pid, signal.SIGHUP)
        assert wait_for(lambda: "reloading the configuration failed, keeping the previous one"
                        in logf.read_text(), 5), logf.read_text()
        time.sleep(0.5)
        assert children_of(proc.pid) == before
        assert get_status(p2)[0] == 200
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_graceful_timeout_kills_workers_that_do_not_finish():
    with Server("-w", "1", "--graceful-timeout", "1", "testapp:app") as srv:
        live_workers(srv, 1)
        t = threading.Thread(target=lambda: one_request(srv.port, "/slow?t=30", 20), daemon=True)
        t.start()
        time.sleep(0.4)
        start = time.monotonic()
        srv.signal(signal.SIGTERM)
        assert srv.wait_exit(6) == 0
        assert time.monotonic() - start < 5
        assert re.search(r"Worker \(pid:\d+\) was sent SIGKILL!", srv.log_text())
