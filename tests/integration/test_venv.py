"""The app's Python environment: a virtualenv ($VIRTUAL_ENV, or a binary that
lives in the venv's bin/), --pythonpath, --chdir, -e KEY=VALUE, --preload."""
import json
import os
import shutil
import subprocess
import textwrap
import urllib.request

import pytest

import server
from server import Server

APP = textwrap.dedent("""
    import json, os, sys
    IMPORT_PID = os.getpid()
    try:
        import venv_only_mod
        VENV_VALUE = venv_only_mod.VALUE
    except ImportError:
        VENV_VALUE = None

    def app(environ, start_response):
        body = json.dumps({"venv": VENV_VALUE, "prefix": sys.prefix, "cwd": os.getcwd(),
                           "import_pid": IMPORT_PID, "pid": os.getpid(),
                           "raw_env": os.environ.get("GPP_RAW_ENV"),
                           "flask_importable": __import__("importlib").util.find_spec("flask") is not None,
                           }).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
""")


def fetch(srv, path="/"):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (srv.port, path), timeout=10) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", "--without-pip", str(root)],
                   check=True, timeout=120)
    site = subprocess.run([str(root / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    with open(os.path.join(site, "venv_only_mod.py"), "w") as f:
        f.write("VALUE = 'only in the venv'\n")
    return root


@pytest.fixture()
def appdir(tmp_path):
    d = tmp_path / "appdir"
    d.mkdir()
    (d / "envapp.py").write_text(APP)
    return d


def test_virtual_env_packages_are_importable(venv, appdir):
    with Server("envapp:app", cwd=str(appdir), env={"VIRTUAL_ENV": str(venv)}) as srv:
        got = fetch(srv)
        assert got["venv"] == "only in the venv"
        assert got["prefix"] == str(venv)
        assert got["flask_importable"] is True  # --system-site-packages keeps Debian's packages


def test_without_the_venv_the_module_is_missing(appdir):
    env = {"VIRTUAL_ENV": ""}
    with Server("envapp:app", cwd=str(appdir), env=env) as srv:
        got = fetch(srv)
        assert got["venv"] is None
        assert got["prefix"] == "/usr"


def test_binary_inside_the_venv_uses_it(venv, appdir, monkeypatch):
    # A binary installed into the venv's bin/ finds the venv without $VIRTUAL_ENV.
    binary = venv / "bin" / "gunicornpp"
    shutil.copy(server.BINARY, binary)
    monkeypatch.setattr(server, "BINARY", str(binary))
    try:
        with Server("envapp:app", cwd=str(appdir), env={"VIRTUAL_ENV": ""}) as srv:
            assert fetch(srv)["venv"] == "only in the venv"
    finally:
        binary.unlink()


def test_pythonpath_and_chdir(appdir, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with Server("--pythonpath", str(appdir), "envapp:app", cwd=str(elsewhere)) as srv:
        assert fetch(srv)["cwd"] == str(elsewhere)
    with Server("--chdir", str(appdir), "envapp:app", cwd=str(elsewhere)) as srv:
        assert fetch(srv)["cwd"] == str(appdir)


def test_raw_env(appdir):
    with Server("-e", "GPP_RAW_ENV=from the command line", "envapp:app", cwd=str(appdir)) as srv:
        assert fetch(srv)["raw_env"] == "from the command line"


def test_preload_imports_once_in_the_arbiter(appdir):
    with Server("--preload", "-w", "2", "envapp:app", cwd=str(appdir)) as srv:
        srv.wait_ready(workers=2)
        got = fetch(srv)
        assert got["import_pid"] == srv.proc.pid
        assert got["pid"] != srv.proc.pid
    with Server("-w", "1", "envapp:app", cwd=str(appdir)) as srv:
        got = fetch(srv)
        assert got["import_pid"] == got["pid"] != srv.proc.pid
