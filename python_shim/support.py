# Python half of gunicornpp's shim, compiled into the binary as the module
# `_gunicornpp_support`. It holds what is naturally Python: importing the
# app the way gunicorn's util.import_app does, executing gunicorn.conf.py,
# formatting tracebacks.
import ast
import importlib
import importlib.machinery
import importlib.util
import inspect
import io
import os
import sys
import traceback


class AppImportError(Exception):
    """The module imported but the app is missing or unusable (exit 4)."""


def _called_with_wrong_args(f):
    tb = sys.exc_info()[2]
    try:
        while tb is not None:
            if tb.tb_frame.f_code is getattr(f, "__code__", None):
                return False
            tb = tb.tb_next
        return True
    finally:
        del tb


def load_paste_app(uri):
    """--paste/--paster: a PasteDeploy ini, optionally "file.ini#section"
    (gunicorn's pasterapp.get_wsgi_app)."""
    try:
        from paste.deploy import loadapp
    except ImportError:
        raise AppImportError("--paste needs PasteDeploy (Debian: python3-pastedeploy)")
    path, _, section = uri.partition("#")
    return loadapp("config:" + path, name=section or None, relative_to=os.getcwd())


def import_app(uri):
    # config/merge.cpp turns --paste into an absolute ini path; module names never are.
    if os.path.isabs(uri.partition("#")[0]) and os.path.isfile(uri.partition("#")[0]):
        return load_paste_app(uri)
    module, _, obj = uri.partition(":")
    if not obj:
        obj = "application"
    try:
        mod = importlib.import_module(module)
    except ImportError:
        if module.endswith(".py") and os.path.exists(module):
            raise ImportError("Failed to find application, did you mean '%s:%s'?"
                              % (module.rsplit(".", 1)[0], obj))
        raise
    try:
        expression = ast.parse(obj, mode="eval").body
    except SyntaxError:
        raise AppImportError(
            "Failed to parse %r as an attribute name or function call." % obj)
    if isinstance(expression, ast.Name):
        name, args, kwargs = expression.id, None, None
    elif isinstance(expression, ast.Call):
        if not isinstance(expression.func, ast.Name):
            raise AppImportError("Function reference must be a simple name: %r" % obj)
        name = expression.func.id
        try:
            args = [ast.literal_eval(arg) for arg in expression.args]
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in expression.keywords}
        except ValueError:
            raise AppImportError("Failed to parse arguments as literal values: %r" % obj)
    else:
        raise AppImportError(
            "Failed to parse %r as an attribute name or function call." % obj)
    try:
        app = getattr(mod, name)
    except AttributeError:
        raise AppImportError("Failed to find attribute %r in %r." % (name, module))
    if args is not None:
        try:
            app = app(*args, **kwargs)
        except TypeError as e:
            if _called_with_wrong_args(app):
                raise AppImportError(
                    "".join(traceback.format_exception_only(TypeError, e)).strip())
            raise
    if app is None:
        raise AppImportError("Failed to find application object: %r" % obj)
    if not callable(app):
        raise AppImportError("Application object must be callable.")
    return app


def is_app_import_error(exc):
    return isinstance(exc, AppImportError)


def format_exception(exc, tb=None):
    if tb is not None and exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip("\n")


def arity(func):
    """Positional parameters a hook takes (gunicorn's util.get_arity)."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return -1
    n = 0
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
        elif p.kind == p.VAR_POSITIONAL:
            return -1
    return n


def exec_config(location):
    """Run a config file or module; return its namespace (gunicorn's
    load_config_from_module_name_or_filename). Raises with the message
    gunicorn prints on failure."""
    if location.startswith("python:"):
        return vars(importlib.import_module(location[len("python:"):]))
    filename = location[len("file:"):] if location.startswith("file:") else location
    if not os.path.exists(filename):
        raise RuntimeError("%r doesn't exist" % filename)
    ext = os.path.splitext(filename)[1]
    module_name = "__config__"
    if ext in (".py", ".pyc"):
        spec = importlib.util.spec_from_file_location(module_name, filename)
    else:
        sys.stderr.write("!!!\n!!! WARNING: configuration file should have a valid "
                         "Python extension.\n!!!\n\n")
        loader = importlib.machinery.SourceFileLoader(module_name, filename)
        spec = importlib.util.spec_from_file_location(module_name, filename, loader=loader)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = mod
    spec.loader.exec_module(mod)
    return vars(mod)


def run_exit_handlers():
    import atexit
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass


# --- WSGI objects (owned by the WSGI bridge: python_shim/wsgi_*.cpp) -------

class FileWrapper:
    """wsgi.file_wrapper, as gunicorn's http/wsgi.py FileWrapper. When the app
    returns one whose file has a real fileno(), the C++ side sends the file
    with sendfile(2); otherwise it is iterated in `blksize` blocks."""

    def __init__(self, filelike, blksize=8192):
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __getitem__(self, key):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise IndexError

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration


def file_wrapper_fileno(wrapper):
    """The fd to sendfile() from, or -1 (gunicorn's util.has_fileno)."""
    filelike = wrapper.filelike
    if not hasattr(filelike, "fileno"):
        return -1
    try:
        fd = filelike.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return -1
    return fd if isinstance(fd, int) and fd >= 0 else -1


class ParseException(Exception):
    pass


# Tracebacks name gunicorn's module, as log-matching tooling expects.
ParseException.__module__ = "gunicorn.http.errors"


class InvalidHeader(ParseException):
    """A response header value gunicorn would reject (gunicorn.http.errors)."""

    def __init__(self, hdr, req=None):
        self.hdr = hdr
        self.req = req

    def __str__(self):
        return "Invalid HTTP Header: %r" % self.hdr


class InvalidHeaderName(ParseException):
    """A response header name that is not an RFC 9110 token."""

    def __init__(self, hdr):
        self.hdr = hdr

    def __str__(self):
        return "Invalid HTTP header name: %r" % self.hdr


InvalidHeader.__module__ = InvalidHeaderName.__module__ = "gunicorn.http.errors"


def _client_socket_class(base):
    """environ['gunicorn.socket']: a real `base` (socket.socket, or gevent's
    socket under the coro worker) made on the connection's fd without a dup.
    The fd stays the worker's: close() ends the connection with shutdown()
    and lets go of the fd, detach() hands out a dup, and the worker calls
    _gpp_release() when the request ends (the object then acts closed)."""

    class ClientSocket(base):
        __slots__ = ()

        def close(self):
            if self.fileno() >= 0:
                try:
                    self.shutdown(2)  # socket.SHUT_RDWR
                except OSError:
                    pass
                self._gpp_release()

        def detach(self):
            fd = self.fileno()
            if fd < 0:
                return fd
            dup = os.dup(fd)
            self._gpp_release()
            return dup

        def _gpp_release(self):
            base.detach(self)

    ClientSocket.__module__ = "socket"
    ClientSocket.__qualname__ = ClientSocket.__name__ = "socket"
    return ClientSocket


_client_socket_classes = {}


def client_socket_class(cooperative):
    """The class of environ['gunicorn.socket'] (made once per worker, after
    gevent patched the socket module when it does). The coro worker makes
    it at boot: an import inside a request greenlet may yield to the hub."""
    cls = _client_socket_classes.get(cooperative)
    if cls is None:
        if cooperative:
            from gevent import socket as gsocket
            cls = _client_socket_class(gsocket.socket)
        else:
            import socket
            cls = _client_socket_class(socket.socket)
        _client_socket_classes[cooperative] = cls
    return cls
