# Python half of gunicornpp's server hooks, compiled into the binary as the
# module `_gunicornpp_hooks`. It holds the objects gunicorn.conf.py hooks
# receive: `server` (gunicorn's Arbiter), `worker` (its Worker), `req` and
# `resp`, with the attributes hooks use in practice. hooks.cpp fills them in
# and calls the hooks; the C++ callbacks (_log_write, _reopen, ...) are set
# on this module by hooks.cpp before anything here runs.
import os
import sys
import traceback

_log_write = None    # _log_write(level: int, message: str) -> our error log
_reopen = None       # reopen the error log (USR1)
_hooks = {}          # setting name -> callable from the config file

DEBUG, INFO, WARNING, ERROR, CRITICAL = 10, 20, 30, 40, 50


class Logger:
    """The part of gunicorn's glogging.Logger hooks call (server.log, worker.log)."""

    def _emit(self, level, msg, args, exc_info=None):
        text = str(msg)
        if args:
            try:
                text = text % args
            except (TypeError, ValueError):
                text = " ".join([text] + [str(a) for a in args])
        if exc_info:
            if isinstance(exc_info, BaseException):
                tb = "".join(traceback.format_exception(type(exc_info), exc_info,
                                                        exc_info.__traceback__))
            elif isinstance(exc_info, tuple):
                tb = "".join(traceback.format_exception(*exc_info))
            else:
                tb = traceback.format_exc()
            if tb and not tb.startswith("NoneType: None"):
                text += "\n" + tb.rstrip("\n")
        _log_write(level, text)

    def critical(self, msg, *args, **kw):
        self._emit(CRITICAL, msg, args, kw.get("exc_info"))

    def error(self, msg, *args, **kw):
        self._emit(ERROR, msg, args, kw.get("exc_info"))

    def warning(self, msg, *args, **kw):
        self._emit(WARNING, msg, args, kw.get("exc_info"))

    warn = warning

    def info(self, msg, *args, **kw):
        self._emit(INFO, msg, args, kw.get("exc_info"))

    def debug(self, msg, *args, **kw):
        self._emit(DEBUG, msg, args, kw.get("exc_info"))

    def exception(self, msg, *args, **kw):
        self._emit(ERROR, msg, args, kw.get("exc_info", True))

    def log(self, lvl, msg, *args, **kw):
        if isinstance(lvl, str):
            lvl = {"critical": CRITICAL, "error": ERROR, "warning": WARNING,
                   "info": INFO, "debug": DEBUG}.get(lvl.lower(), INFO)
        self._emit(lvl, msg, args, kw.get("exc_info"))

    def reopen_files(self):
        _reopen()

    def close_on_exec(self):
        pass

    def access(self, resp, req, environ, request_time):
        pass


def _noop(*args, **kwargs):
    return None


class Config:
    """server.cfg / worker.cfg: attribute access to every setting, as gunicorn's Config."""

    def __init__(self, values, extras):
        self.__dict__["settings"] = values
        self.__dict__["_extras"] = extras

    def __getattr__(self, name):
        extras = self.__dict__["_extras"]
        if name in extras:
            return extras[name]
        if name in _HOOK_NAMES:
            return _hooks.get(name, _noop)
        values = self.__dict__["settings"]
        if name in values:
            return values[name]
        raise AttributeError("No configuration setting for: %s" % name)

    def __setattr__(self, name, value):
        raise AttributeError("Invalid access!")


_HOOK_NAMES = frozenset(("on_starting", "on_reload", "when_ready", "pre_fork", "post_fork",
                         "post_worker_init", "worker_int", "worker_abort", "pre_exec",
                         "pre_request", "post_request", "child_exit", "worker_exit",
                         "nworkers_changed", "on_exit", "ssl_context"))


class Listener:
    """An entry of server.LISTENERS: str() is gunicorn's ("http://127.0.0.1:8000")."""

    def __init__(self, url, fd):
        self.url = url
        self.fd = fd

    def __str__(self):
        return self.url

    __repr__ = __str__

    def fileno(self):
        return self.fd

    def getsockname(self):
        import socket
        with socket.socket(fileno=os.dup(self.fd)) as sock:
            return sock.getsockname()


class Server:
    """The `server` argument: what hooks read from gunicorn's Arbiter."""

    def __init__(self):
        self.WORKERS = {}
        self.LISTENERS = []
        self.log = Logger()
        self.cfg = None
        self.pid = 0
        self.num_workers = 0
        self.worker_age = 0
        self.master_name = "Master"
        self.proc_name = ""
        self.timeout = 30
        self.graceful_timeout = 30
        self.address = []
        self.pidfile = None
        self.reexec_pid = 0
        self.master_pid = 0
        self.systemd = False
        self.app = None
        self.worker_class = None

    def __str__(self):
        return "<gunicornpp Arbiter %s>" % self.pid


class Worker:
    """The `worker` argument: what hooks read from gunicorn's Worker."""

    def __init__(self, age, ppid, cfg, log, timeout, max_requests):
        self.age = age
        self.pid = "[booting]"
        self.ppid = ppid
        self.cfg = cfg
        self.log = log
        self.timeout = timeout
        self.max_requests = max_requests
        self.booted = False
        self.aborted = False
        self.nr = 0
        self.sockets = []
        self.app = None
        self.wsgi = None
        self.tmp = None
        self.reloader = None
        self._alive = True
        self._alive_fn = None   # set in the worker process: reads the C++ flag
        self._stop_fn = None    # set in the worker process: clears the C++ flag
        self._notify_fn = None

    @property
    def alive(self):
        if self._alive_fn is not None:
            return bool(self._alive_fn())
        return self._alive

    @alive.setter
    def alive(self, value):
        self._alive = bool(value)
        if not value and self._stop_fn is not None:
            self._stop_fn()

    def notify(self):
        if self._notify_fn is not None:
            self._notify_fn()

    def __str__(self):
        return "<Worker %s>" % self.pid


class Request:
    """The `req` argument of pre_request/post_request (gunicorn's http.Request)."""

    def __init__(self, method, uri, path, query, fragment, version, headers, scheme,
                 peer_addr, req_number):
        self.method = method
        self.uri = uri
        self.path = path
        self.query = query
        self.fragment = fragment
        self.version = version
        self.headers = headers
        self.trailers = []
        self.body = None
        self.scheme = scheme
        self.peer_addr = peer_addr
        self.remote_addr = peer_addr
        self.req_number = req_number
        self.proxy_protocol_info = None

    def should_close(self):
        return True

    def __repr__(self):
        return "<Request %s %s>" % (self.method, self.uri)


class Response:
    """The `resp` argument of post_request (gunicorn's http.wsgi.Response)."""

    def __init__(self, req, status, status_code, headers, sent, response_length, chunked,
                 headers_sent, version):
        self.req = req
        self.status = status
        self.status_code = status_code
        self.headers = headers
        self.sent = sent
        self.response_length = response_length
        self.chunked = chunked
        self.headers_sent = headers_sent
        self.version = version
        self.must_close = True

    def should_close(self):
        return True


SERVER = Server()
CURRENT = None       # this process's Worker (in a worker process)
_pending = {}        # age -> Worker created in pre_fork, until fork() answers


def configure(values, extras, hooks):
    """Publish the settings (start and every reload)."""
    _hooks.clear()
    _hooks.update(hooks)
    SERVER.cfg = Config(values, extras)
    SERVER.timeout = values.get("timeout", 30)
    SERVER.graceful_timeout = values.get("graceful_timeout", 30)
    SERVER.proc_name = extras.get("proc_name", "")
    SERVER.address = list(values.get("bind", []))
    SERVER.worker_class = extras.get("worker_class_str")


def has_hook(name):
    return name in _hooks


def call(name, *args):
    """Call hook `name`; an exception propagates to the caller."""
    hook = _hooks.get(name)
    if hook is not None:
        hook(*args)


def set_listeners(items):
    SERVER.LISTENERS = [Listener(url, fd) for url, fd in items]


def new_worker(age, ppid):
    cfg = SERVER.cfg
    max_requests = getattr(cfg, "max_requests", 0) if cfg else 0
    worker = Worker(age, ppid, cfg, SERVER.log, SERVER.timeout / 2.0,
                    max_requests if max_requests > 0 else sys.maxsize)
    _pending[age] = worker
    return worker


def forked_parent(age, pid):
    worker = _pending.pop(age, None)
    if worker is not None:
        worker.pid = pid
        SERVER.WORKERS[pid] = worker


def forked_child(age, pid):
    global CURRENT
    worker = _pending.pop(age, None)
    if worker is None:
        worker = new_worker(age, SERVER.pid)
        _pending.pop(age, None)
    worker.pid = pid
    _pending.clear()
    CURRENT = worker
    return worker


def fork_failed(age):
    _pending.pop(age, None)


def pop_worker(pid):
    return SERVER.WORKERS.pop(pid, None)


def main_thread_stack():
    """Every other thread's stack (the main thread first), for the log of a
    timed-out worker; the calling thread (the signal thread) is left out."""
    import threading
    names = {t.ident: t.name for t in threading.enumerate()}
    me = threading.get_ident()
    main = threading.main_thread().ident
    frames = sorted(sys._current_frames().items(), key=lambda item: item[0] != main)
    parts = []
    for ident, frame in frames:
        if ident == me:
            continue
        stack = "".join(traceback.format_stack(frame)).rstrip("\n")
        parts.append("Thread %s (%#x):\n%s" % (names.get(ident, "?"), ident, stack))
    return "\n".join(parts)


def reload_watch_files(extra):
    """--reload: the source files of every imported module and reload_extra_files
    (globs expanded on every call, as gunicorn 26.1), as gunicorn's reloader."""
    import glob
    import re
    out = set()
    for module in list(sys.modules.values()):
        fname = getattr(module, "__file__", None)
        if isinstance(fname, str) and os.path.isabs(fname):
            out.add(re.sub("py[co]$", "py", fname))
    for pattern in extra:
        matches = glob.glob(pattern, recursive=True)
        out.update(os.path.abspath(m) for m in (matches if matches else [pattern]))
    return sorted(out)
