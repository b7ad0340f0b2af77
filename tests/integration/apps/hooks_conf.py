# Every server hook appends a line to $HOOK_LOG (test_hooks.py reads it).
# $HOOK_RAISE names hooks that raise after writing their line.
import os

LOG = os.environ["HOOK_LOG"]
RAISE = set(filter(None, os.environ.get("HOOK_RAISE", "").split(",")))


def _w(name, *parts):
    with open(LOG, "a") as f:
        f.write(" ".join([name] + [str(p) for p in parts]) + "\n")
    if name in RAISE:
        raise RuntimeError("hook %s raised on purpose" % name)


def on_starting(server):
    _w("on_starting", server.pid == os.getpid(), server.cfg.workers, server.num_workers)


def on_reload(server):
    _w("on_reload", server.num_workers)


def when_ready(server):
    _w("when_ready", ",".join(str(l) for l in server.LISTENERS), server.cfg.proc_name)
    server.log.info("when_ready says %s", "hello")


def pre_fork(server, worker):
    _w("pre_fork", worker.age, worker.pid)


def post_fork(server, worker):
    worker.marker = "set in post_fork"
    _w("post_fork", worker.pid == os.getpid(), worker.ppid == os.getppid(), worker.age)


def post_worker_init(worker):
    _w("post_worker_init", worker.pid == os.getpid(), worker.alive, worker.marker, worker.cfg.timeout)


def worker_int(worker):
    _w("worker_int", worker.pid == os.getpid())


def worker_abort(worker):
    _w("worker_abort", worker.pid == os.getpid())


def pre_request(worker, req):
    _w("pre_request", req.method, req.path, req.query, dict(req.headers).get("X-TEST"), req.version, worker.nr)


def post_request(worker, req, environ, resp):
    _w("post_request", req.uri, environ.get("PATH_INFO"), resp.status, resp.status_code,
       dict(resp.headers).get("Content-Type"))


def child_exit(server, worker):
    _w("child_exit", worker.pid != os.getpid(), worker.age)


def worker_exit(server, worker):
    _w("worker_exit", worker.pid == os.getpid())


def nworkers_changed(server, new_value, old_value):
    _w("nworkers_changed", new_value, old_value)


def on_exit(server):
    _w("on_exit")
