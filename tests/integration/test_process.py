"""Process settings: --pid, --daemon, process titles, --reload, --user,
--reuse-port, --umask, --worker-tmp-dir."""
import os
import pwd
import signal
import subprocess
import time

import pytest

from server import APPS, BINARY, Server, children_of, free_port, run_binary, wait_for
from test_arbiter import get_status, live_workers


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().replace(b"\0", b" ").decode().strip()


def test_pidfile_is_created_and_removed(tmp_path):
    pidfile = tmp_path / "gpp.pid"
    srv = Server("-p", str(pidfile), "testapp:app")
    with srv:
        assert pidfile.read_text() == "%d\n" % srv.proc.pid
        assert oct(pidfile.stat().st_mode & 0o777) == "0o644"
        srv.signal(signal.SIGTERM)
        assert srv.wait_exit(10) == 0
    assert not pidfile.exists()


def test_a_live_pidfile_refuses_a_second_server(tmp_path):
    pidfile = tmp_path / "gpp.pid"
    with Server("-p", str(pidfile), "testapp:app") as srv:
        code, out = run_binary("-p", str(pidfile), "-b", "127.0.0.1:%d" % free_port(), "testapp:app")
        assert code == 1, out
        assert "Error: Already running on PID %d (or pid file '%s' is stale)" % (srv.proc.pid, pidfile) in out
        assert pidfile.read_text() == "%d\n" % srv.proc.pid  # untouched
    # A stale pidfile (dead pid) is replaced.
    pidfile.write_text("999999\n")
    with Server("-p", str(pidfile), "testapp:app") as srv:
        assert pidfile.read_text() == "%d\n" % srv.proc.pid


def test_daemon_detaches_and_serves(tmp_path):
    pidfile = tmp_path / "d.pid"
    errlog = tmp_path / "error.log"
    port = free_port()
    proc = subprocess.run([BINARY, "-D", "-p", str(pidfile), "--error-logfile", str(errlog),
                           "-b", "127.0.0.1:%d" % port, "-w", "2", "testapp:app"], cwd=APPS, timeout=10,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.returncode == 0, proc.stdout
    assert wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), 10)
    master = int(pidfile.read_text())
    try:
        assert wait_for(lambda: len(children_of(master)) == 2, 10)
        assert get_status(port)[0] == 200
        assert os.getsid(master) != os.getsid(0)  # a session of its own (setsid)
        with open("/proc/%d/stat" % master) as f:
            assert int(f.read().rsplit(")", 1)[1].split()[1]) == 1  # reparented to init
        fds = {os.readlink("/proc/%d/fd/%d" % (master, fd)) for fd in (0, 1, 2)}
        assert fds == {"/dev/null"}
        # WINCH acts when daemonized: the workers stop, the master stays.
        os.kill(master, signal.SIGWINCH)
        assert wait_for(lambda: children_of(master) == [], 10)
        assert "graceful stop of workers" in errlog.read_text()
    finally:
        os.kill(master, signal.SIGTERM)
    assert wait_for(lambda: not os.path.exists("/proc/%d" % master), 10)
    assert not pidfile.exists()


def test_process_titles_name_master_and_workers():
    with Server("-w", "2", "--name", "shop", "testapp:app") as srv:
        workers = live_workers(srv, 2)
        assert wait_for(lambda: cmdline(srv.proc.pid) == "gunicornpp: master [shop]", 3), cmdline(srv.proc.pid)
        for pid in workers:
            assert wait_for(lambda: cmdline(pid) == "gunicornpp: worker [shop]", 3), cmdline(pid)
        found = subprocess.run(["pgrep", "-f", "gunicorn"], stdout=subprocess.PIPE).stdout.split()
        assert {str(p).encode() for p in [srv.proc.pid] + workers} <= set(found)
        ps = subprocess.run(["ps", "-o", "args=", "-p", str(srv.proc.pid)], stdout=subprocess.PIPE).stdout
        assert ps.decode().strip() == "gunicornpp: master [shop]"


def test_default_process_title_is_the_app_module():
    with Server("testapp:app") as srv:
        assert wait_for(lambda: cmdline(srv.proc.pid) == "gunicornpp: master [testapp:app]", 3)


def test_reload_picks_up_a_changed_module(tmp_path):
    mod = tmp_path / "reloadme.py"
    mod.write_text("def app(e, s):\n    s('200 OK', [('Content-Length', '3')])\n    return [b'one']\n")
    extra = tmp_path / "template.txt"
    extra.write_text("v1")
    with Server("--reload", "--reload-extra-file", str(extra), "--chdir", str(tmp_path), "reloadme:app",
                cwd=str(tmp_path)) as srv:
        assert get_status(srv.port)[1] == b"one"
        first = live_workers(srv, 1)[0]
        time.sleep(0.3)
        mod.write_text("def app(e, s):\n    s('200 OK', [('Content-Length', '3')])\n    return [b'two']\n")
        assert wait_for(lambda: "Worker reloading: %s modified" % mod in srv.log_text(), 5), srv.log_text()
        assert wait_for(lambda: (lambda w: len(w) == 1 and first not in w)(srv.workers()), 5)
        assert wait_for(lambda: get_status(srv.port)[1] == b"two", 5)
        assert "Reloader is on. Use in development only!" in srv.log_text()
        second = live_workers(srv, 1)[0]
        time.sleep(0.3)
        extra.write_text("v2")
        assert wait_for(lambda: "Worker reloading: %s modified" % extra in srv.log_text(), 5)
        assert wait_for(lambda: (lambda w: len(w) == 1 and second not in w)(srv.workers()), 5)


def open_files(pid):
    """What the fds of `pid` point to; an fd closed while we look (a worker
    still importing opens and closes files) is skipped."""
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            out.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except FileNotFoundError:
            pass
    return out


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch users")
def test_user_and_group_drop_privileges_in_workers(tmp_path):
    nobody = pwd.getpwnam("nobody")
    os.chmod(tmp_path, 0o755)
    with Server("-w", "2", "-t", "2", "-u", "nobody", "-g", str(nobody.pw_gid), "--worker-tmp-dir",
                str(tmp_path), "testapp:app") as srv:
        workers = live_workers(srv, 2)
        for pid in workers:
            with open("/proc/%d/status" % pid) as f:
                status = dict(line.split(":", 1) for line in f.read().splitlines())
            assert status["Uid"].split()[:2] == [str(nobody.pw_uid)] * 2
            assert status["Gid"].split()[:2] == [str(nobody.pw_gid)] * 2
            # The heartbeat file is the worker's own, so it can stamp it.
            tmp = open_files(pid)
            assert any(t.startswith(str(tmp_path) + "/wgunicorn-") for t in tmp), tmp
        with open("/proc/%d/status" % srv.proc.pid) as f:
            assert "Uid:\t0\t" in f.read()  # the master keeps its user
        assert get_status(srv.port)[0] == 200
        time.sleep(3.5)  # the heartbeat file is theirs: they can stamp it, no timeout
        assert live_workers(srv, 2) == workers
        assert "WORKER TIMEOUT" not in srv.log_text()


def test_reuse_port_workers_bind_their_own_sockets():
    with Server("-w", "2", "--reuse-port", "testapp:app") as srv:
        workers = live_workers(srv, 2)
        assert wait_for(lambda: get_status(srv.port)[0] == 200)
        pids = set()
        for _ in range(40):
            pids.add(int(get_status(srv.port, "/pid")[1]))
        assert pids <= set(workers)
        # The arbiter itself holds no listening socket.
        master_sockets = open_files(srv.proc.pid)
        inodes = {s[8:-1] for s in master_sockets if s.startswith("socket:")}
        with open("/proc/net/tcp") as f:
            listening = [line.split() for line in f.read().splitlines()[1:]]
        port_hex = "%04X" % srv.port
        ours = [l for l in listening if l[1].endswith(":" + port_hex) and l[3] == "0A"]
        assert len(ours) == 2  # one per worker
        assert not inodes & {l[9] for l in ours}


def test_umask_applies_to_unix_sockets(tmp_path):
    path = str(tmp_path / "s.sock")
    with Server("-m", "0o077", "testapp:app", bind="unix:" + path):
        assert oct(os.stat(path).st_mode & 0o777) == "0o700"
