"""USR2 binary upgrade, as gunicorn: a second master on the same sockets,
`<pidfile>.2`, promotion when the old master leaves, no request lost."""
import os
import signal
import socket
import subprocess
import time

import pytest

from loadgen import LoadGen, one_request
from notify import NotifySocket
from server import APPS, BINARY, Server, children_of, free_port, wait_for


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return 0


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def stop_new_master(pid):
    """TERM the re-exec'd master (not our child) and wait until it is gone."""
    if pid and alive(pid):
        os.kill(pid, signal.SIGTERM)
        assert wait_for(lambda: not alive(pid), timeout=15), "new master %d did not exit" % pid


@pytest.mark.parametrize("klass", ["sync", "gthread"])
def test_usr2_upgrade_then_term_old_master_loses_nothing(tmp_path, klass):
    pidfile = str(tmp_path / "gpp.pid")
    new_pid = 0
    with Server("-w", "2", "-k", klass, "--pid", pidfile, "--graceful-timeout", "10",
                "testapp:app") as srv:
        try:
            srv.wait_ready(workers=2)
            old_pid = srv.proc.pid
            assert wait_for(lambda: read_pid(pidfile) == old_pid)
            with LoadGen(srv.port, rate=200) as load:
                time.sleep(1)
                load.phase("usr2")
                srv.signal(signal.SIGUSR2)
                new_pid = wait_for(lambda: read_pid(pidfile + ".2"), timeout=15)
                assert new_pid and new_pid != old_pid
                # Two masters serve side by side: the new one's workers boot.
                assert wait_for(lambda: len(children_of(new_pid)) == 2, timeout=15), srv.log_text()
                time.sleep(1.5)
                # A second USR2 while the child exists is refused.
                srv.signal(signal.SIGUSR2)
                os.kill(new_pid, signal.SIGUSR2)
                time.sleep(1)
                load.phase("term-old")
                term_at = time.monotonic()
                srv.signal(signal.SIGTERM)
                assert srv.wait_exit(15) == 0
                assert wait_for(lambda: read_pid(pidfile) == new_pid, timeout=5), srv.log_text()
                time.sleep(max(0.0, 1.0 - (time.monotonic() - term_at)))
                load.phase("promoted")
                time.sleep(1.5)
            summary = load.summary()
            assert load.failures() == {}, summary
            for phase in ("start", "usr2", "term-old", "promoted"):
                assert load.ok(phase) >= 150, summary
            assert not os.path.exists(pidfile + ".2")
            assert alive(new_pid)
            assert one_request(srv.port, "/", 5) == "ok"
            log = srv.log_text()
            assert "Master has been promoted." in log
            assert "USR2 signal ignored. Child exists." in log
            assert "USR2 signal ignored. Parent exists." in log
            assert log.count("Listening at: http://127.0.0.1:%d" % srv.port) == 2
            assert "Shutting down: Master" in log
            with open("/proc/%d/cmdline" % new_pid, "rb") as f:
                assert b"master [" in f.read()
        finally:
            stop_new_master(new_pid)
    if new_pid:
        assert not os.path.exists(pidfile)


def test_term_of_the_new_master_backs_out_and_old_serves_on(tmp_path):
    """Back-out: the new master goes, the old one keeps its pidfile and can USR2 again."""
    pidfile = str(tmp_path / "gpp.pid")
    marker = tmp_path / "pre_exec.txt"
    conf = tmp_path / "conf.py"
    conf.write_text("import os\n"
                    "def pre_exec(server):\n"
                    "    with open(MARKER, 'a') as f:\n"
                    "        f.write('%d %d\\n' % (os.getpid(), os.getppid()))\n".replace("MARKER", repr(str(marker))))
    with Server("-w", "1", "--pid", pidfile, "-c", str(conf), "testapp:app") as srv:
        srv.signal(signal.SIGUSR2)
        new_pid = wait_for(lambda: read_pid(pidfile + ".2"), timeout=15)
        assert new_pid
        # pre_exec ran once, in the forked child (the new master's pid), before exec.
        assert marker.read_text() == "%d %d\n" % (new_pid, srv.proc.pid)
        with open("/proc/%d/cmdline" % new_pid, "rb") as f:
            assert b".2]" in f.read()
        assert wait_for(lambda: len(children_of(new_pid)) == 1, timeout=15), srv.log_text()
        # HUP of the unpromoted master rewrites <pidfile>.2, never the old master's.
        os.kill(new_pid, signal.SIGHUP)
        assert wait_for(lambda: "Hang up: Master.2" in srv.log_text(), timeout=5)
        time.sleep(0.5)
        assert read_pid(pidfile + ".2") == new_pid
        assert read_pid(pidfile) == srv.proc.pid
        assert "Already running" not in srv.log_text()
        stop_new_master(new_pid)
        assert not os.path.exists(pidfile + ".2")
        assert read_pid(pidfile) == srv.proc.pid
        assert one_request(srv.port, "/", 5) == "ok"
        # The child was reaped: USR2 works again.
        time.sleep(1.2)
        srv.signal(signal.SIGUSR2)
        second = wait_for(lambda: read_pid(pidfile + ".2"), timeout=15)
        assert second and second != new_pid
        stop_new_master(second)
        assert "Shutting down: Master.2" in srv.log_text()


def test_unix_socket_file_survives_old_master_exit(tmp_path):
    pidfile = str(tmp_path / "gpp.pid")
    path = str(tmp_path / "gpp.sock")
    new_pid = 0
    with Server("-w", "1", "--pid", pidfile, "testapp:app", bind="unix:" + path) as srv:
        try:
            srv.signal(signal.SIGUSR2)
            new_pid = wait_for(lambda: read_pid(pidfile + ".2"), timeout=15)
            assert wait_for(lambda: len(children_of(new_pid)) == 1, timeout=15), srv.log_text()
            srv.signal(signal.SIGTERM)
            assert srv.wait_exit(15) == 0
            assert os.path.exists(path)
            assert wait_for(lambda: read_pid(pidfile) == new_pid, timeout=5)
            assert srv.connectable()
        finally:
            stop_new_master(new_pid)
    # The promoted master owns the file now and removes it when it stops.
    assert not os.path.exists(path)


def test_promoted_master_notifies_mainpid(tmp_path):
    notify = NotifySocket(str(tmp_path / "notify.sock"))
    pidfile = str(tmp_path / "gpp.pid")
    new_pid = 0
    try:
        with Server("-w", "1", "--pid", pidfile, "testapp:app", env={"NOTIFY_SOCKET": notify.path}) as srv:
            try:
                pid, _ = notify.until(lambda t: t.startswith("READY=1"))
                assert pid == srv.proc.pid
                srv.signal(signal.SIGUSR2)
                new_pid = wait_for(lambda: read_pid(pidfile + ".2"), timeout=15)
                # The new master's READY=1 comes once its worker is ready.
                pid, _ = notify.until(lambda t: t.startswith("READY=1"))
                assert pid == new_pid
                assert len(children_of(new_pid)) == 1
                srv.signal(signal.SIGTERM)
                assert srv.wait_exit(15) == 0
                # The old master hands over as it stops, the new one confirms when promoted.
                assert notify.until(lambda t: t.startswith("MAINPID=")) == (srv.proc.pid, "MAINPID=%d" % new_pid)
                assert notify.until(lambda t: t.startswith("MAINPID=")) == (new_pid, "MAINPID=%d" % new_pid)
            finally:
                stop_new_master(new_pid)
    finally:
        notify.close()


def test_socket_activated_master_hands_on_listen_fds(tmp_path):
    """A socket-activated master (LISTEN_FDS) upgrades too: the new master adopts fd 3."""
    port = free_port()
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(128)
    pidfile = str(tmp_path / "gpp.pid")
    log = open(tmp_path / "log.txt", "w")

    def as_fd3():
        os.dup2(lsock.fileno(), 3)

    proc = subprocess.Popen(["/bin/sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"', BINARY,
                             "-b", "127.0.0.1:1", "-w", "1", "--pid", pidfile, "testapp:app"],
                            cwd=APPS, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=as_fd3, pass_fds=(3, lsock.fileno()))
    lsock.close()
    new_pid = 0
    try:
        assert wait_for(lambda: read_pid(pidfile) == proc.pid, timeout=10)
        assert wait_for(lambda: len(children_of(proc.pid)) == 1, timeout=10)
        os.kill(proc.pid, signal.SIGUSR2)
        new_pid = wait_for(lambda: read_pid(pidfile + ".2"), timeout=15)
        assert new_pid
        assert wait_for(lambda: len(children_of(new_pid)) == 1, timeout=15)
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(15) == 0
        assert wait_for(lambda: read_pid(pidfile) == new_pid, timeout=5)
        assert one_request(port, "/", 5) == "ok"
        text = (tmp_path / "log.txt").read_text()
        assert text.count("Listening at: http://127.0.0.1:%d" % port) == 2
    finally:
        stop_new_master(new_pid)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)
        log.close()
