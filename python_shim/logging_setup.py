"""Python logging set up as gunicorn's glogging.Logger.setup does, for the
app's `logging` calls: the `gunicorn.error` and `gunicorn.access` loggers
write through the C++ sinks (same files, same lock, reopened on USR1), and
syslog / logconfig / logconfig_dict / logconfig_json apply as in gunicorn.
Compiled into the binary as the module `_gunicornpp_logging`."""
import copy
import json
import logging
import logging.config
import logging.handlers
import os
import socket

SYSLOG_FACILITIES = {
    "auth": 4, "authpriv": 10, "cron": 9, "daemon": 3, "ftp": 11, "kern": 0, "lpr": 6,
    "mail": 2, "news": 7, "security": 4, "syslog": 5, "user": 1, "uucp": 8,
    "local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21,
    "local6": 22, "local7": 23,
}

LOG_LEVELS = {"critical": logging.CRITICAL, "error": logging.ERROR, "warning": logging.WARNING,
              "info": logging.INFO, "debug": logging.DEBUG}

ERROR_FMT = r"%(asctime)s [%(process)d] [%(levelname)s] %(message)s"
DATEFMT = r"[%Y-%m-%d %H:%M:%S %z]"
SYSLOG_FMT = "[%(process)d] %(message)s"

CONFIG_DEFAULTS = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": True,
                           "qualname": "gunicorn.error"},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": True,
                            "qualname": "gunicorn.access"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "generic", "stream": "ext://sys.stdout"},
        "error_console": {"class": "logging.StreamHandler", "formatter": "generic",
                          "stream": "ext://sys.stderr"},
    },
    "formatters": {
        "generic": {"format": ERROR_FMT, "datefmt": DATEFMT, "class": "logging.Formatter"},
    },
}


class SinkHandler(logging.Handler):
    """Writes formatted records through one of the C++ log sinks."""

    def __init__(self, write):
        logging.Handler.__init__(self)
        self._write = write

    def emit(self, record):
        try:
            self._write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def parse_syslog_address(addr):
    """(socktype, address) for SysLogHandler from syslog_addr, as gunicorn reads it."""
    if addr.startswith("unix://"):
        path, _, kind = addr[len("unix://"):].partition("#")
        return (socket.SOCK_DGRAM if kind == "dgram" else
                socket.SOCK_STREAM if kind == "stream" else None), path
    if addr.startswith("udp://"):
        rest, socktype = addr[len("udp://"):], socket.SOCK_DGRAM
    elif addr.startswith("tcp://"):
        rest, socktype = addr[len("tcp://"):], socket.SOCK_STREAM
    else:
        raise RuntimeError("invalid syslog address")
    if rest.startswith("[") and "]" in rest:
        host, _, tail = rest[1:].partition("]")
    elif ":" in rest:
        host, tail = rest.split(":", 1)[0], ":" + rest.split(":", 1)[1]
    else:
        host, tail = rest, ""
    host = host.lower() or "localhost"
    port = 514
    if tail.startswith(":"):
        if not tail[1:].isdigit():
            raise RuntimeError("%r is not a valid port number." % tail[1:])
        port = int(tail[1:])
    return socktype, (host, port)


def _own(log, handler, formatter):
    handler.setFormatter(formatter)
    handler._gunicorn = True
    log.addHandler(handler)


def _syslog_handler(log, cfg, name):
    prefix = cfg["syslog_prefix"] or cfg["proc_name"].replace(":", ".")
    fmt = logging.Formatter("gunicorn.%s.%s: %s" % (prefix, name, SYSLOG_FMT))
    try:
        facility = SYSLOG_FACILITIES[cfg["syslog_facility"].lower()]
    except KeyError as exc:
        raise RuntimeError("unknown facility name") from exc
    socktype, addr = parse_syslog_address(cfg["syslog_addr"])
    _own(log, logging.handlers.SysLogHandler(address=addr, facility=facility, socktype=socktype), fmt)


def setup(cfg, logconfig_dict, write_error, write_access):
    """Returns True when gunicornpp's own lines must go through Python logging
    (syslog or a logging config is in use), False when the C++ sinks suffice."""
    error_log = logging.getLogger("gunicorn.error")
    access_log = logging.getLogger("gunicorn.access")
    error_log.propagate = access_log.propagate = False
    error_log.setLevel(LOG_LEVELS.get(cfg["loglevel"].lower(), logging.INFO))
    access_log.setLevel(logging.INFO)
    for log in (error_log, access_log):
        for handler in list(log.handlers):
            if getattr(handler, "_gunicorn", False):
                log.removeHandler(handler)
    _own(error_log, SinkHandler(write_error), logging.Formatter(ERROR_FMT, DATEFMT))
    if cfg["accesslog"]:
        _own(access_log, SinkHandler(write_access), logging.Formatter("%(message)s"))
    if cfg["syslog"]:
        _syslog_handler(error_log, cfg, "error")
        if not cfg["disable_redirect_access_to_syslog"]:
            _syslog_handler(access_log, cfg, "access")

    if logconfig_dict:
        config = dict(copy.deepcopy(CONFIG_DEFAULTS))
        config.update(logconfig_dict)
        try:
            logging.config.dictConfig(config)
        except (AttributeError, ImportError, ValueError, TypeError) as exc:
            raise RuntimeError(str(exc)) from exc
    elif cfg["logconfig_json"]:
        config = dict(copy.deepcopy(CONFIG_DEFAULTS))
        if os.path.exists(cfg["logconfig_json"]):
            try:
                with open(cfg["logconfig_json"]) as f:
                    config.update(json.load(f))
                logging.config.dictConfig(config)
            except (json.JSONDecodeError, AttributeError, ImportError, ValueError, TypeError) as exc:
                raise RuntimeError(str(exc)) from exc
    elif cfg["logconfig"]:
        if not os.path.exists(cfg["logconfig"]):
            raise RuntimeError("Error: log config '%s' not found" % cfg["logconfig"])
        defaults = dict(copy.deepcopy(CONFIG_DEFAULTS))
        defaults["__file__"] = cfg["logconfig"]
        defaults["here"] = os.path.dirname(cfg["logconfig"])
        logging.config.fileConfig(cfg["logconfig"], defaults=defaults, disable_existing_loggers=False)
    return bool(cfg["syslog"] or logconfig_dict or cfg["logconfig_json"] or cfg["logconfig"])


def log_error(level, message):
    logging.getLogger("gunicorn.error").log(level, message)


def log_access(message):
    logging.getLogger("gunicorn.access").info(message)


def reopen_files():
    """USR1: reopen every FileHandler, as gunicorn's reopen_files."""
    for name in list(logging.root.manager.loggerDict):
        log = logging.getLogger(name)
        for handler in log.handlers:
            if isinstance(handler, logging.FileHandler):
                handler.acquire()
                try:
                    if handler.stream:
                        handler.close()
                        handler.stream = handler._open()
                finally:
                    handler.release()
