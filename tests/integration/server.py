"""Start and drive the real gunicornpp binary for black-box tests."""
import os
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.abspath(os.environ.get("GUNICORNPP_BIN", os.path.join(ROOT, "build", "gunicornpp")))
APPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid):
    """PIDs whose parent is `pid` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry))
    return sorted(out)


def wait_for(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


class Server:
    """A running gunicornpp; use as a context manager."""

    def __init__(self, *args, cwd=APPS, env=None, bind=None, wait=True):
        self.port = free_port()
        self.bind = bind or "127.0.0.1:%d" % self.port
        self.args = [BINARY, "-b", self.bind] + list(args)
        self.cwd = cwd
        self.env = dict(os.environ)
        self.env.pop("GUNICORN_CMD_ARGS", None)
        self.env.update(env or {})
        self.log = tempfile.NamedTemporaryFile(prefix="gpp-log-", suffix=".txt", delete=False)
        self.proc = subprocess.Popen(self.args, cwd=cwd, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        if wait:
            self.wait_ready()

    def wait_ready(self, workers=1, timeout=15):
        ok = wait_for(lambda: self.proc.poll() is not None or
                      self.log_text().count("Booting worker with pid") >= workers and self.connectable(),
                      timeout)
        if self.proc.poll() is not None:
            raise RuntimeError("server exited %s:\n%s" % (self.proc.returncode, self.log_text()))
        if not ok:
            raise RuntimeError("server not ready:\n" + self.log_text())

    def connectable(self):
        if self.bind.startswith("unix:"):
            path = self.bind[5:]
            with socket.socket(socket.AF_UNIX) as s:
                try:
                    s.connect(path)
                    return True
                except OSError:
                    return False
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def log_text(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def workers(self):
        return children_of(self.proc.pid)

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout=10):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait_exit(10) is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # Nothing of ours may outlive the test.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        os.unlink(self.log.name)


def run_binary(*args, cwd=APPS, env=None, timeout=20):
    """Run gunicornpp to completion; returns (exit status, combined output)."""
    full_env = dict(os.environ, **(env or {}))
    proc = subprocess.run([BINARY] + list(args), cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout, start_new_session=True)
    return proc.returncode, proc.stdout.decode(errors="replace")
