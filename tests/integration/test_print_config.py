"""--print-config and configuration errors, side by side with Debian's gunicorn 20.1.

The same configuration (command-line flags, GUNICORN_CMD_ARGS, a gunicorn.conf.py)
is given to /usr/bin/gunicorn (20.1) and to gunicornpp; the values of every
setting both know must print the same. gunicornpp follows gunicorn 26.1, so
the settings added after 20.1 are simply absent from 20.1's output and the
ones whose *default* changed after 20.1 are left out (see EXCLUDED).
"""
import os
import shutil
import subprocess
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("GUNICORNPP_BIN", os.path.join(ROOT, "build", "gunicornpp"))
GUNICORN = "/usr/bin/gunicorn"

# Settings left out of the comparison, and why.
EXCLUDED_DEFAULT_CHANGED = {
    # 23.0 added '::1' to the default: 20.1 prints ['127.0.0.1'], 26.1 ['127.0.0.1', '::1'].
    # Compared when a configuration sets them.
    "forwarded_allow_ips",
    "proxy_allow_ips",
}
EXCLUDED_ALWAYS = {
    # 24.1 turned proxy_protocol from a boolean (False/True) into a mode ('off'/'auto'/'v1'/'v2').
    "proxy_protocol",
}
# Settings printing differently only because of the product name or version:
# none today (the product name appears in --version and the banner, never in
# a setting's value); listed here so that one can be added with its reason.
EXCLUDED_PRODUCT_NAME = set()

APP = textwrap.dedent("""\
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    """)

CONF = textwrap.dedent("""\
    import multiprocessing
    workers = "4"
    bind = "127.0.0.1:9002"
    timeout = 75
    umask = 0o22
    raw_env = ["FOO=1", "BAR=it's"]
    secure_scheme_headers = {"X-PROTO": "https", "X-SSL": "on"}
    limit_request_fields = 50
    proc_name = "conf-name"
    forwarded_allow_ips = "10.0.0.1,10.0.0.2"
    def on_starting(server):
        pass
    def post_request(worker, req, environ):
        pass
    not_a_setting = 42
    """)

needs_binary = pytest.mark.skipif(not os.path.exists(BINARY), reason="gunicornpp not built: " + BINARY)
needs_gunicorn = pytest.mark.skipif(not os.path.exists(GUNICORN), reason="Debian's gunicorn is not installed")


@pytest.fixture
def appdir(tmp_path):
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


def run(cmd, cwd, env_extra=None):
    env = dict(os.environ)
    env.pop("GUNICORN_CMD_ARGS", None)
    for name in ("PORT", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS", "SENDFILE"):
        env.pop(name, None)
    env.update(env_extra or {})
    return subprocess.run(cmd, cwd=str(cwd), env=env, capture_output=True, text=True, timeout=60)


def parse(text):
    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition(" = ")
        if sep:
            values[name.strip()] = value
    return values


def compare(appdir, args, env_extra=None, explicitly_set=()):
    theirs = run([GUNICORN] + args, appdir, env_extra)
    ours = run([BINARY] + args, appdir, env_extra)
    assert theirs.returncode == 0, theirs.stderr
    assert ours.returncode == 0, ours.stderr
    a, b = parse(theirs.stdout), parse(ours.stdout)
    assert len(b) >= 119
    skipped = EXCLUDED_ALWAYS | EXCLUDED_PRODUCT_NAME | (EXCLUDED_DEFAULT_CHANGED - set(explicitly_set))
    common = (set(a) & set(b)) - skipped
    assert len(common) > 70
    diffs = {k: (a[k], b[k]) for k in sorted(common) if a[k] != b[k]}
    assert diffs == {}
    return b


@needs_binary
@needs_gunicorn
def test_defaults_match(appdir):
    compare(appdir, ["--print-config", "app:app"])


@needs_binary
@needs_gunicorn
def test_command_line_flags_match(appdir):
    values = compare(appdir, [
        "-w", "3", "-b", "127.0.0.1:9001", "--bind", "unix:/tmp/gpp-test.sock", "--threads", "2",
        "-k", "gthread", "--timeout", "45", "--graceful-timeout", "10", "--keep-alive", "5",
        "--max-requests", "100", "--max-requests-jitter", "7", "--limit-request-line", "1000",
        "--limit-request-field_size", "300", "--access-logfile", "-", "--log-file", "/tmp/x.log",
        "--log-level", "debug", "-e", "A=1", "-e", "B=2", "-m", "027", "--preload", "--reuse-port",
        "-n", "myname", "--forwarded-allow-ips", "10.0.0.1, 10.0.0.2", "--statsd-host", "localhost:9125",
        "--no-sendfile", "--backlog", "64", "--worker-connections", "50",
        "--pythonpath", "/opt/x", "--strip-header-spaces", "--print-config", "app:app",
    ], explicitly_set={"forwarded_allow_ips"})
    assert values["workers"] == "3"
    assert values["umask"] == "23"
    assert values["errorlog"] == "/tmp/x.log"


@needs_binary
@needs_gunicorn
def test_gunicorn_cmd_args_match(appdir):
    compare(appdir, ["-w", "5", "--print-config", "app:app"],
            env_extra={"GUNICORN_CMD_ARGS": "-w 2 --threads 3 --bind='127.0.0.1:9100' -e 'X=a b'"})


@needs_binary
@needs_gunicorn
def test_conf_py_match(appdir):
    (appdir / "gunicorn.conf.py").write_text(CONF)
    values = compare(appdir, ["--print-config", "app:app"], explicitly_set={"forwarded_allow_ips"})
    assert values["workers"] == "4"
    assert values["on_starting"] == "<on_starting()>"
    # -c beats ./gunicorn.conf.py; GUNICORN_CMD_ARGS beats the file; the command line beats both
    (appdir / "other.py").write_text("workers = 6\ntimeout = 11\nthreads = 4\n")
    values = compare(appdir, ["-c", "other.py", "--threads", "8", "--print-config", "app:app"],
                     env_extra={"GUNICORN_CMD_ARGS": "--timeout 12 --threads 9"})
    assert (values["workers"], values["timeout"], values["threads"]) == ("6", "12", "8")


@needs_binary
def test_version():
    out = run([BINARY, "--version"], ROOT)
    assert out.returncode == 0
    assert out.stdout.strip() == "gunicornpp (version 0.1.0)"


@needs_binary
@pytest.mark.parametrize("args, env, message", [
    (["-w", "x", "app:app"], None, "gunicornpp: error: argument -w/--workers: invalid int value: 'x'"),
    (["--bogus", "app:app"], None, "gunicornpp: error: unrecognized arguments: --bogus"),
    (["--wor", "3", "app:app"], None, "gunicornpp: error: ambiguous option: --wor could match"),
    (["app:app"], {"GUNICORN_CMD_ARGS": "-w y"}, "gunicornpp: error: argument -w/--workers: invalid int value: 'y'"),
    (["--workers=-1", "app:app"], None, "gunicornpp: error: argument -w/--workers: Value must be positive: -1"),
])
def test_usage_errors_exit_2(appdir, args, env, message):
    out = run([BINARY] + args, appdir, env)
    assert out.returncode == 2
    assert out.stderr.startswith("usage: gunicornpp [OPTIONS] [APP_MODULE]\n")
    assert message in out.stderr
    if shutil.which(GUNICORN) and "positive" not in message:  # 20.1 exits 1 for validator errors
        theirs = run([GUNICORN] + args, appdir, env)
        assert theirs.returncode == 2
        assert message.replace("gunicornpp:", "gunicorn:").split(" could match")[0] in theirs.stderr


@needs_binary
@pytest.mark.parametrize("conf, setting", [
    ('workers = "abc"\n', "workers"),
    ("on_starting = 3\n", "on_starting"),
    ("def when_ready(a, b):\n    pass\n", "when_ready"),
    ("forwarded_allow_ips = '10.0.0.1/8'\n", "forwarded_allow_ips"),
])
def test_bad_conf_value_exits_1_with_one_line(appdir, conf, setting):
    (appdir / "bad.conf.py").write_text(conf)
    out = run([BINARY, "-c", "bad.conf.py", "app:app"], appdir)
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert setting in lines[0] and "bad.conf.py" in lines[0]
    if os.path.exists(GUNICORN) and setting != "forwarded_allow_ips":  # 20.1 did not check IPs
        assert run([GUNICORN, "-c", "bad.conf.py", "app:app"], appdir).returncode == 1


@needs_binary
def test_bad_toml_exits_1(appdir):
    (appdir / "c.toml").write_text("wrkers = 3\n")
    out = run([BINARY, "-c", "c.toml", "app:app"], appdir)
    assert out.returncode == 1
    assert "unknown setting 'wrkers' (did you mean 'workers'?)" in out.stderr
    (appdir / "c.toml").write_text("workers = 3\nbind = ['127.0.0.1:9003']\n")
    out = run([BINARY, "-c", "c.toml", "--print-config", "app:app"], appdir)
    assert out.returncode == 0, out.stderr
    values = parse(out.stdout)
    assert values["workers"] == "3" and values["bind"] == "['127.0.0.1:9003']"
