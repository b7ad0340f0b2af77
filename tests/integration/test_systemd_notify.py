"""systemd notifications under systemd-socket-activate with a NOTIFY_SOCKET
the test listens on: READY=1 only after the workers booted and said they are
ready, RELOADING=1/READY=1 around HUP, STATUS= with live counts, WATCHDOG=1,
STOPPING=1 on TERM; LISTEN_FDNAMES kept through a USR2 upgrade; the shipped
unit files pass `systemd-analyze verify`."""
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from loadgen import one_request
from notify import NotifySocket
from server import APPS, BINARY, children_of, wait_for

ACTIVATE = shutil.which("systemd-socket-activate")
ANALYZE = shutil.which("systemd-analyze")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
needs_activate = pytest.mark.skipif(ACTIVATE is None, reason="systemd-socket-activate not installed")


class Activated:
    """gunicornpp under systemd-socket-activate (it execs us on the first connection)."""

    def __init__(self, tmp_path, *args, env=()):
        from server import free_port
        self.port = free_port()
        self.notify = NotifySocket(str(tmp_path / "notify.sock"))
        self.log_path = tmp_path / "log.txt"
        self.log = open(self.log_path, "w")
        cmd = [ACTIVATE, "-l", "127.0.0.1:%d" % self.port, "--fdname=web", "-E",
               "NOTIFY_SOCKET=" + self.notify.path]
        for item in env:
            cmd += ["-E", item]
        self.proc = subprocess.Popen(cmd + [BINARY] + list(args), cwd=APPS, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        # The first connection starts the server; its request is answered once it runs.
        assert wait_for(lambda: one_request(self.port, "/", 15) == "ok", timeout=20), self.text()

    def text(self):
        return self.log_path.read_text(errors="replace")

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()
        self.notify.close()


@needs_activate
def test_notify_sequence_ready_reload_status_stopping(tmp_path):
    srv = Activated(tmp_path, "-w", "2", "--pid", str(tmp_path / "gpp.pid"), "testapp:app")
    try:
        master = srv.proc.pid  # systemd-socket-activate exec'd us: same pid
        pid, ready = srv.notify.until(lambda t: t.startswith("READY=1"))
        assert pid == master
        assert ready == "READY=1\nSTATUS=2 workers ready, 0 booting"
        # READY came after both workers booted; STATUS counted them booting first.
        assert srv.text().count("Booting worker with pid") >= 2
        before_ready = srv.notify.texts()[:-1]
        assert "STATUS=0 workers ready, 2 booting" in before_ready, before_ready
        assert "Socket web (fd 3): http://127.0.0.1:%d" % srv.port in srv.text()

        os.kill(master, signal.SIGHUP)
        _, reloading = srv.notify.until(lambda t: t.startswith("RELOADING=1"))
        assert re.fullmatch(r"RELOADING=1\nMONOTONIC_USEC=\d+", reloading)
        usec = int(reloading.split("=")[-1])
        assert abs(usec / 1e6 - time.monotonic()) < 30  # CLOCK_MONOTONIC, as systemd wants
        _, ready = srv.notify.until(lambda t: t.startswith("READY=1"))
        assert ready == "READY=1\nSTATUS=2 workers ready, 0 booting"
        assert srv.text().count("Booting worker with pid") >= 4
        between = srv.notify.texts()
        between = between[between.index(reloading) + 1:between.index(ready, between.index(reloading))]
        # The new generation booting alongside the old, then the swap.
        assert any(re.fullmatch(r"STATUS=\d workers ready, [12] booting", t) for t in between), between
        assert one_request(srv.port, "/", 10) == "ok"

        os.kill(master, signal.SIGTERM)
        assert srv.notify.until(lambda t: t.startswith("STOPPING="))[1] == "STOPPING=1"
        assert srv.proc.wait(15) == 0
    finally:
        srv.close()


@needs_activate
def test_watchdog_pings_every_half_watchdog_usec(tmp_path):
    srv = Activated(tmp_path, "-w", "1", "testapp:app", env=["WATCHDOG_USEC=400000"])
    try:
        srv.notify.until(lambda t: t == "WATCHDOG=1")
        start = time.monotonic()
        for _ in range(5):
            pid, _ = srv.notify.until(lambda t: t == "WATCHDOG=1", timeout=5)
            assert pid == srv.proc.pid
        # 5 pings at 0.2 s: about a second (generous bound for a loaded machine).
        assert 0.6 < time.monotonic() - start < 4
    finally:
        srv.close()


@needs_activate
def test_no_watchdog_when_watchdog_pid_is_another_process(tmp_path):
    srv = Activated(tmp_path, "-w", "1", "testapp:app", env=["WATCHDOG_USEC=200000", "WATCHDOG_PID=1"])
    try:
        srv.notify.until(lambda t: t.startswith("READY=1"))
        time.sleep(1)
        os.kill(srv.proc.pid, signal.SIGTERM)
        srv.notify.until(lambda t: t == "STOPPING=1")
        assert "WATCHDOG=1" not in srv.notify.texts(skip_watchdog=False)
    finally:
        srv.close()


@needs_activate
def test_usr2_keeps_fd_names_and_new_master_notifies_ready_then_mainpid(tmp_path):
    pidfile = str(tmp_path / "gpp.pid")
    srv = Activated(tmp_path, "-w", "1", "--pid", pidfile, "testapp:app")
    new_pid = 0
    try:
        srv.notify.until(lambda t: t.startswith("READY=1"))
        os.kill(srv.proc.pid, signal.SIGUSR2)
        pid, _ = srv.notify.until(lambda t: t.startswith("READY=1"))
        new_pid = pid
        assert new_pid != srv.proc.pid
        assert wait_for(lambda: srv.text().count("Socket web (fd 3): http://127.0.0.1:%d" % srv.port) == 2)
        assert len(children_of(new_pid)) == 1  # its worker was ready before READY=1
        old_pid = srv.proc.pid
        os.kill(old_pid, signal.SIGTERM)
        assert srv.proc.wait(15) == 0
        # The old master hands over instead of STOPPING=1; the new one confirms when promoted.
        assert srv.notify.until(lambda t: t.startswith("MAINPID=")) == (old_pid, "MAINPID=%d" % new_pid)
        assert srv.notify.until(lambda t: t.startswith("MAINPID=")) == (new_pid, "MAINPID=%d" % new_pid)
        assert (old_pid, "STOPPING=1") not in srv.notify.seen
        assert one_request(srv.port, "/", 10) == "ok"
    finally:
        if new_pid:
            try:
                os.kill(new_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            wait_for(lambda: not os.path.exists("/proc/%d" % new_pid) or
                     open("/proc/%d/stat" % new_pid).read().split(") ")[1][0] == "Z", timeout=15)
        srv.close()


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze not installed")
def test_unit_files_pass_systemd_analyze_verify(tmp_path):
    service = open(os.path.join(ROOT, "systemd", "gunicornpp.service")).read()
    # verify checks that ExecStart's binary exists: point it at ours.
    service = service.replace("/usr/local/bin/gunicornpp", BINARY).replace("/srv/app", str(tmp_path))
    assert "Type=notify" in service and "NotifyAccess=all" in service
    assert "ExecReload=/bin/kill -s HUP $MAINPID" in service
    (tmp_path / "gunicornpp.service").write_text(service)
    shutil.copy(os.path.join(ROOT, "systemd", "gunicornpp.socket"), tmp_path / "gunicornpp.socket")
    out = subprocess.run([ANALYZE, "verify", str(tmp_path / "gunicornpp.socket"),
                          str(tmp_path / "gunicornpp.service")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout + out.stderr == "", out.stdout + out.stderr
