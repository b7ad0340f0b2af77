"""Requests lost or retried across recycles under keep-alive load, gunicornpp
against gunicorn, side by side (issue #8's keep-alive drain).

Each server runs testapp:app with -w 2 -k CLASS --max-requests 50 and gets
open-loop load on 8 persistent HTTP/1.1 connections (tests/integration/
loadgen.py's KeepAliveLoadGen, 150 req/s) while it is sent HUP three times,
2 s apart. Printed per server: answered, failed (a reset, or a connection
closed without an answer on a fresh connection) and retried (a reused
connection closed before any byte of the answer: RFC 9112 9.3.1 lets a client
retry it, wrk and many clients count it as an error).

Usage: /usr/bin/python3 bench/drain_compare.py [CLASS] [ROUNDS]
       (CLASS gthread by default; GUNICORNPP_BIN overrides build/gunicornpp)
Loopback only; every server is started and stopped here, by PID."""
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from loadgen import KeepAliveLoadGen  # noqa: E402


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, proc, timeout=20):
    import socket
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not listen")


def one_round(binary, klass):
    port = free_port()
    cmd = [binary, "-w", "2", "-k", klass, "--max-requests", "50", "--graceful-timeout", "10",
           "-b", "127.0.0.1:%d" % port, "--chdir", os.path.join(ROOT, "tests", "integration", "apps"), "testapp:app"]
    if klass == "gthread":
        cmd[5:5] = ["--threads", "4"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        time.sleep(1.5)  # both workers booted
        with KeepAliveLoadGen(port, rate=150) as load:
            time.sleep(1.5)
            for i in range(3):
                load.phase("hup%d" % i)
                proc.send_signal(signal.SIGHUP)
                time.sleep(2)
            load.phase("end")
            time.sleep(1)
        ok = load.ok()
        failed = sum(n for bad in load.failures().values() for n in bad.values())
        retried = sum(load.retried.values())
        return ok, failed, retried
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    klass = sys.argv[1] if len(sys.argv) > 1 else "gthread"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    servers = [("gunicornpp", os.environ.get("GUNICORNPP_BIN", os.path.join(ROOT, "build", "gunicornpp"))),
               ("gunicorn", "/usr/bin/gunicorn")]
    print("| server | class | round | answered | failed | retried |")
    print("|---|---|---|---|---|---|")
    for name, binary in servers:
        for r in range(rounds):
            ok, failed, retried = one_round(binary, klass)
            print("| %s | %s | %d | %d | %d | %d |" % (name, klass, r + 1, ok, failed, retried), flush=True)


if __name__ == "__main__":
    main()
