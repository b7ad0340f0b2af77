"""Server hooks from gunicorn.conf.py: called where, in which order and with
the arguments gunicorn uses (apps/hooks_conf.py writes one line per call)."""
import os
import signal
import threading
import time

from loadgen import one_request
from server import Server, wait_for
from test_arbiter import get_status, live_workers


def names(path):
    return [line.split(" ", 1)[0] for line in path.read_text().splitlines()]


def lines_of(path, name):
    return [line for line in path.read_text().splitlines() if line.split(" ", 1)[0] == name]


def hook_server(tmp_path, *args, raise_in="", wait=True):
    log = tmp_path / "hooks.log"
    srv = Server("-c", "hooks_conf.py", *args, "testapp:app",
                 env={"HOOK_LOG": str(log), "HOOK_RAISE": raise_in}, wait=wait)
    return srv, log


def test_hooks_fire_in_gunicorns_order(tmp_path):
    srv, log = hook_server(tmp_path)
    with srv:
        assert wait_for(lambda: "post_worker_init" in names(log))
        s = socket_get(srv.port, "/path?q=1", {"X-Test": "yes"})
        assert s == 200
        srv.signal(signal.SIGTERM)
        assert srv.wait_exit(10) == 0
        assert "when_ready says hello" in srv.log_text()
    assert names(log) == ["nworkers_changed", "on_starting", "when_ready", "pre_fork", "post_fork",
                          "post_worker_init", "pre_request", "post_request", "worker_exit", "child_exit",
                          "on_exit"]
    text = log.read_text()
    assert "nworkers_changed 1 None" in text
    assert "on_starting True 1 1" in text
    assert "when_ready http://127.0.0.1:%d testapp:app" % srv.port in text
    assert "pre_fork 1 [booting]" in text
    assert "post_fork True True 1" in text
    assert "post_worker_init True True set in post_fork 30" in text
    assert "pre_request GET /path q=1 yes (1, 1) 0" in text
    assert "post_request /path?q=1 /path 200 OK 200 text/plain" in text
    assert "worker_exit True" in text
    assert "child_exit True 1" in text


def socket_get(port, path, headers):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status


def test_hup_ttin_ttou_hooks(tmp_path):
    srv, log = hook_server(tmp_path, "-w", "2")
    with srv:
        srv.wait_ready(workers=2)
        assert wait_for(lambda: len(lines_of(log, "post_worker_init")) == 2)
        srv.signal(signal.SIGHUP)
        assert wait_for(lambda: len(lines_of(log, "child_exit")) == 2, 10), log.read_text()
        hup = log.read_text().splitlines()
        assert "nworkers_changed 2 2" in hup and "on_reload 2" in hup
        assert hup.index("nworkers_changed 2 2") < hup.index("on_reload 2") < hup.index("pre_fork 3 [booting]")
        srv.signal(signal.SIGTTIN)
        assert wait_for(lambda: "nworkers_changed 3 2" in log.read_text())
        assert wait_for(lambda: "pre_fork 5 [booting]" in log.read_text())
        srv.signal(signal.SIGTTOU)
        assert wait_for(lambda: "nworkers_changed 2 3" in log.read_text())
        assert wait_for(lambda: len(lines_of(log, "child_exit")) == 3, 5)


def test_worker_int_on_quit_and_worker_abort_on_timeout(tmp_path):
    srv, log = hook_server(tmp_path, "-w", "1", "-t", "2")
    with srv:
        worker = live_workers(srv, 1)[0]
        assert wait_for(lambda: "post_worker_init" in names(log))
        t = threading.Thread(target=lambda: one_request(srv.port, "/slow?t=30", 20), daemon=True)
        t.start()
        assert wait_for(lambda: "WORKER TIMEOUT (pid:%d)" % worker in srv.log_text(), 8)
        assert wait_for(lambda: "worker_abort True" in log.read_text(), 3)
        assert wait_for(lambda: len(lines_of(log, "post_worker_init")) == 2, 5)
        abort = names(log)
        assert abort.index("worker_abort") < abort.index("worker_exit") < abort.index("child_exit")
        # QUIT to a worker: worker_int, then it exits at once (even in a request).
        worker = live_workers(srv, 1)[0]
        t = threading.Thread(target=lambda: one_request(srv.port, "/slow?t=30", 20), daemon=True)
        t.start()
        time.sleep(0.3)
        os.kill(worker, signal.SIGQUIT)
        assert wait_for(lambda: "worker_int True" in log.read_text(), 3)
        assert wait_for(lambda: len(lines_of(log, "worker_exit")) == 2, 3)
        assert wait_for(lambda: (lambda w: len(w) == 1 and worker not in w)(srv.workers()), 3)


def test_an_exception_in_a_master_hook_is_logged_and_the_server_keeps_serving(tmp_path):
    srv, log = hook_server(tmp_path, "-w", "1",
                           raise_in="on_starting,when_ready,pre_fork,child_exit,nworkers_changed,on_reload")
    with srv:
        assert get_status(srv.port)[0] == 200
        worker = live_workers(srv, 1)[0]
        os.kill(worker, signal.SIGKILL)
        assert wait_for(lambda: (lambda w: len(w) == 1 and worker not in w)(srv.workers()), 3)
        srv.signal(signal.SIGHUP)
        assert wait_for(lambda: "on_reload" in names(log), 5)
        assert get_status(srv.port)[0] == 200
        out = srv.log_text()
        for hook in ("on_starting", "when_ready", "pre_fork", "child_exit", "nworkers_changed", "on_reload"):
            assert "Exception in %s hook" % hook in out
            assert "RuntimeError: hook %s raised on purpose" % hook in out
        assert "Traceback (most recent call last)" in out
        srv.signal(signal.SIGTERM)
        assert srv.wait_exit(10) == 0


def test_request_hook_exceptions(tmp_path):
    srv, log = hook_server(tmp_path, raise_in="post_request")
    with srv:
        assert get_status(srv.port)[0] == 200
        assert wait_for(lambda: "Exception in post_request hook" in srv.log_text(), 3)
    srv, log = hook_server(tmp_path, raise_in="pre_request")
    with srv:
        assert get_status(srv.port)[0] == 500
        assert wait_for(lambda: "hook pre_request raised on purpose" in srv.log_text(), 3)
        assert "post_request" in names(log)


def test_a_failing_post_fork_is_a_boot_error(tmp_path):
    srv, log = hook_server(tmp_path, "-w", "2", raise_in="post_fork", wait=False)
    with srv:
        assert srv.wait_exit(10) == 3
        out = srv.log_text()
        assert "Exception in worker process" in out and "hook post_fork raised on purpose" in out
        assert "Reason: Worker failed to boot." in out
    assert names(log)[-1] == "on_exit"


def test_server_cfg_and_log_objects(tmp_path):
    conf = tmp_path / "conf.py"
    out = tmp_path / "out.txt"
    conf.write_text(
        "import os\n"
        "def when_ready(server):\n"
        "    c = server.cfg\n"
        "    try:\n"
        "        c.no_such_setting\n"
        "        missing = 'no error'\n"
        "    except AttributeError as e:\n"
        "        missing = str(e)\n"
        "    open(%r, 'w').write(repr((c.workers, c.bind, c.timeout, c.proc_name, c.worker_class_str,\n"
        "                               callable(c.pre_fork), missing)))\n"
        "    server.log.debug('debug line')\n"
        "    server.log.warning('warning %%s', 42)\n"
        "    server.log.error('error line')\n"
        "    server.log.critical('critical line')\n"
        "    try:\n"
        "        1 / 0\n"
        "    except ZeroDivisionError:\n"
        "        server.log.exception('caught it')\n" % str(out))
    with Server("-c", str(conf), "-w", "2", "--name", "myapp", "testapp:app") as srv:
        srv.wait_ready(workers=2)
        assert wait_for(lambda: out.exists() and out.read_text())
        workers, bind, timeout, proc_name, klass, hook_callable, missing = eval(out.read_text())
        assert (workers, timeout, proc_name, klass, hook_callable) == (2, 30, "myapp", "sync", True)
        assert bind == ["127.0.0.1:%d" % srv.port]
        assert missing == "No configuration setting for: no_such_setting"
        log = srv.log_text()
        assert "debug line" not in log
        assert "[WARNING] warning 42" in log and "[ERROR] error line" in log
        assert "[CRITICAL] critical line" in log
        assert "[ERROR] caught it\nTraceback (most recent call last):" in log
        assert "ZeroDivisionError: division by zero" in log


def test_a_python_thread_started_by_a_master_hook_keeps_running(tmp_path):
    conf = tmp_path / "conf.py"
    ticks = tmp_path / "ticks"
    conf.write_text(
        "import threading, time\n"
        "def when_ready(server):\n"
        "    def tick():\n"
        "        while True:\n"
        "            with open(%r, 'a') as f:\n"
        "                f.write('.')\n"
        "            time.sleep(0.05)\n"
        "    threading.Thread(target=tick, daemon=True).start()\n" % str(ticks))
    with Server("-c", str(conf), "-w", "2", "testapp:app") as srv:
        srv.wait_ready(workers=2)
        time.sleep(0.3)
        before = len(ticks.read_text())
        time.sleep(1)
        assert len(ticks.read_text()) - before >= 8  # the master's GIL is free while it waits
        srv.signal(signal.SIGTTIN)  # forking with the thread alive
        srv.wait_ready(workers=3)
        assert get_status(srv.port)[0] == 200
