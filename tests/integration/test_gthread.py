"""The gthread worker's own behaviour: concurrency of its threads, idle-connection
cost, PROXY protocol, request_timeout. What it shares with coro (keep-alive,
pipelining, signals, max_requests ...) is in test_engine.py."""
import json
import time

from engine_client import Reader, connect, get, in_parallel, raise_nofile, request, replaced, rss_kb
from server import Server, wait_for




def test_hundred_concurrent_sleeps_run_in_parallel():
    with Server("-k", "gthread", "--threads", "100", "testapp:app") as srv:
        assert request(srv, "/")[0] == 200
        results, elapsed = in_parallel(lambda: request(srv, "/slow?t=0.5", timeout=20)[0], 100)
        assert results == [200] * 100
        assert elapsed < 2.0, elapsed


def test_sync_with_threads_becomes_gthread_and_is_multithread():
    with Server("--threads", "2", "testapp:app") as srv:
        status, _, body = request(srv, "/environ")
        env = json.loads(body)
        assert status == 200
        assert env["wsgi.multithread"] is True
        assert env["wsgi.multiprocess"] is False


def test_idle_keepalive_connections_do_not_stop_a_new_client():
    n = 1000
    raise_nofile(n + 500)
    with Server("-k", "gthread", "--threads", "4", "--worker-connections", "2000",
                "--keep-alive", "60", "testapp:app") as srv:
        socks = []
        try:
            for _ in range(n):
                s = connect(srv)
                s.sendall(get("/"))
                socks.append(s)
            for s in socks:
                assert Reader(s).response()[0] == 200
            t0 = time.monotonic()
            status, _, body = request(srv, "/")
            assert status == 200 and body == b"hello"
            assert time.monotonic() - t0 < 1.0
            # ...and the idle ones are still usable.
            socks[0].sendall(get("/"))
            assert Reader(socks[0]).response()[0] == 200
        finally:
            for s in socks:
                s.close()


def test_rss_of_a_worker_holding_1000_idle_connections_grows_under_2mb():
    n = 1000
    raise_nofile(n + 500)
    with Server("-k", "gthread", "--threads", "4", "--worker-connections", "2000",
                "--keep-alive", "60", "testapp:app") as srv:
        (worker,) = wait_for(srv.workers)
        for _ in range(200):  # warm up allocator, Python and the engine's pools
            request(srv, "/")
        warm = []
        for _ in range(50):
            s = connect(srv)
            s.sendall(get("/"))
            warm.append(s)
        for s in warm:
            Reader(s).response()
            s.close()
        time.sleep(0.3)
        before = rss_kb(worker)
        socks = []
        try:
            for i in range(n):
                s = connect(srv)
                s.sendall(get("/"))
                Reader(s).response()
                socks.append(s)
            time.sleep(0.3)
            after = rss_kb(worker)
        finally:
            for s in socks:
                s.close()
        grown = after - before
        print("RSS before %d kB, with %d idle connections %d kB (+%d kB)" % (before, n, after, grown))
        assert grown < 2048, grown


def test_proxy_protocol_header_on_first_request_only():
    with Server("-k", "gthread", "--proxy-protocol", "v1", "--proxy-allow-from", "127.0.0.1",
                "testapp:app") as srv:
        with connect(srv) as s:
            r = Reader(s)
            s.sendall(b"PROXY TCP4 192.0.2.7 198.51.100.1 4242 80\r\n" + get("/environ"))
            env = json.loads(r.response()[2])
            assert env["REMOTE_ADDR"] == "192.0.2.7"
            s.sendall(get("/environ"))
            env = json.loads(r.response()[2])
            assert env["REMOTE_ADDR"] == "192.0.2.7"


def test_request_timeout_logs_traceback_and_replaces_worker():
    with Server("-k", "gthread", "--threads", "2", "--request-timeout", "1",
                "--graceful-timeout", "2", "testapp:app") as srv:
        (first,) = wait_for(srv.workers)
        s = connect(srv, timeout=30)
        s.sendall(get("/slow?t=30"))
        assert wait_for(lambda: "Request exceeded request_timeout" in srv.log_text(), 5)
        log = wait_for(lambda: "time.sleep" in srv.log_text() and srv.log_text(), 5)
        assert "Traceback (most recent call last):" in log
        assert "GET /slow?t=30" in log
        assert "testapp.py" in log and "in app" in log
        # Another request meanwhile still gets served (by this worker or the next).
        assert wait_for(lambda: replaced(srv, first), 10)
        assert request(srv, "/")[0] == 200
        s.close()
