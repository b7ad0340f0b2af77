#!/usr/bin/python3
"""Summarize results/raw.jsonl, c10k.jsonl, probe.jsonl into Markdown tables
(medians over runs; spread = (max-min)/median of rps). Usage:
  summarize.py [RESULTS_DIR] > results/tables.md"""
import json
import os
import statistics
import sys

RES = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "results")
CONFIG_ORDER = ["gunicornpp-coro", "gunicornpp-gthread", "gunicornpp-sync", "gunicorn-sync", "gunicorn-gthread", "gunicorn-gevent", "gunicorn-eventlet",
                "uwsgi", "uwsgi-http11", "uwsgi-gevent", "waitress", "nginx"]
SCEN_ORDER = ["hello_ka", "hello_close", "flask_ka", "sleep_c200", "big_c10", "bigfile_c10", "echo_post",
              "hello_c1", "hello_c10", "hello_c200", "hello_c1000"]
ERR_KEYS = ["err_connect", "err_read", "err_write", "err_status", "err_timeout"]


def load(name):
    p = os.path.join(RES, name)
    if not os.path.exists(p):
        return []
    with open(p) as f:
        return [json.loads(x) for x in f if x.strip()]


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ms(us):
    if us is None:
        return "-"
    v = us / 1000.0
    return "%.2f" % v if v < 10 else ("%.1f" % v if v < 100 else "%.0f" % v)


def krps(r):
    if r is None:
        return "-"
    return "%.0f" % r if r < 1000 else "%.1fk" % (r / 1000)


def mib(kb):
    return "-" if kb is None else "%.1f" % (kb / 1024.0)


def order(key, lst):
    return (lst.index(key) if key in lst else len(lst), key)


def errs_str(runs):
    tot = [sum(r["wrk"].get(k, 0) for k in ERR_KEYS) for r in runs]
    m = med(tot)
    if not m:
        return "0"
    kinds = {}
    for r in runs:
        for k in ERR_KEYS:
            kinds[k] = kinds.get(k, 0) + r["wrk"].get(k, 0)
    main = max(kinds, key=kinds.get).replace("err_", "")
    return "%d (%s)" % (m, main)


def main():
    rows = load("raw.jsonl")
    # per (config, scenario, run) keep the uncontended attempt if any, else the last one
    per_run = {}
    for r in rows:
        k = (r["config"], r["scenario"], r["run"])
        prev = per_run.get(k)
        if prev is None or prev.get("contended") != "no":
            per_run[k] = r
    groups = {}
    for (cfg, scn, _), r in per_run.items():
        groups.setdefault((cfg, scn), []).append(r)
    out = []
    out.append("| config | scenario | conns | runs | rps (median) | rps min-max | p50 ms | p99 ms "
               "| conns/rps ms | errors/run (kind) | worker peak RSS MiB | total peak RSS MiB |")
    out.append("|---|---|---:|---:|---:|---|---:|---:|---:|---|---:|---:|")
    matrix = {}
    for (cfg, scn) in sorted(groups, key=lambda k: (order(k[0], CONFIG_ORDER), order(k[1], SCEN_ORDER))):
        rs = groups[(cfg, scn)]
        ok = [r for r in rs if r.get("status") == "ok" and r.get("wrk")]
        if not ok:
            out.append("| %s | %s | | %d | FAILED (%s) | | | | | | | |" % (cfg, scn, len(rs), rs[0].get("status")))
            continue
        rps = [r["wrk"]["rps"] for r in ok]
        ncont = sum(1 for r in ok if r.get("contended") != "no")
        m = med(rps)
        matrix[(cfg, scn)] = m
        spread = "%s-%s (%.0f%%)" % (krps(min(rps)), krps(max(rps)), 100.0 * (max(rps) - min(rps)) / m if m else 0)
        conns = int(ok[0].get("conns") or 0)
        p50 = med([r["wrk"]["p50_us"] for r in ok])
        little = conns / m * 1e6 if m else None  # mean latency if every connection were served
        flag = " !" if little and p50 is not None and p50 < 0.25 * little else ""
        out.append("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            cfg, scn, conns, len(ok), krps(m) + ("*" * bool(ncont)), spread,
            ms(p50), ms(med([r["wrk"]["p99_us"] for r in ok])), ms(little) + flag,
            errs_str(ok), mib(med([(r.get("mem") or {}).get("worker_hwm_kb") for r in ok])),
            mib(med([(r.get("mem") or {}).get("total_hwm_kb") for r in ok]))))
    print("## Per config x scenario (median of runs)\n")
    print("\n".join(out))
    cfgs = sorted({c for c, _ in matrix}, key=lambda c: order(c, CONFIG_ORDER))
    scns = sorted({s for _, s in matrix}, key=lambda s: order(s, SCEN_ORDER))
    print("\n## Requests/sec matrix (median)\n")
    print("| config | " + " | ".join(scns) + " |")
    print("|---|" + "---:|" * len(scns))
    for c in cfgs:
        print("| %s | %s |" % (c, " | ".join(krps(matrix.get((c, s))) for s in scns)))

    c10 = load("c10k.jsonl")
    if c10:
        print("\n## C10K idle keep-alive connections (+ wrk -c50 hello at the same time)\n")
        print("| config | run | connected | got 1st response | open after idle hold | 2nd request ok "
              "| total RSS idle MiB | total RSS with conns MiB | KiB/conn | wrk rps | wrk p99 ms | wrk errors |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in sorted(c10, key=lambda r: (order(r["config"], CONFIG_ORDER), r["run"])):
            p, f, w = r.get("phase1") or {}, r.get("final") or {}, r.get("wrk") or {}
            mi, mh = r.get("mem_idle") or {}, r.get("mem_held") or {}
            n = p.get("responded_ok") or 0
            per = ((mh.get("total_rss_kb", 0) - mi.get("total_rss_kb", 0)) / n) if n else None
            werr = sum(w.get(k, 0) for k in ERR_KEYS) if w else None
            print("| %s | %s | %s/%s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["config"], r["run"], p.get("connected"), p.get("n"), p.get("responded_ok"),
                f.get("still_open"), f.get("second_request_ok"), mib(mi.get("total_rss_kb")),
                mib(mh.get("total_rss_kb")), "-" if per is None else "%.1f" % per,
                krps(w.get("rps")), ms(w.get("p99_us")), werr))

    pr = load("probe.jsonl")
    if pr:
        print("\n## Keep-alive probe (two GETs on one connection)\n")
        print("| config | HTTP/1.1 keep-alive | Connection header sent | HTTP/1.0 + keep-alive | response headers |")
        print("|---|---|---|---|---|")
        seen = set()
        for r in sorted(pr, key=lambda r: order(r["config"], CONFIG_ORDER)):
            if r["config"] in seen:
                continue
            seen.add(r["config"])
            p = r["probe"]
            print("| %s | %s | %s | %s | %s |" % (r["config"], p["http11_keepalive"], p["http11_connection_hdr"],
                                                p["http10_keepalive"], ", ".join(sorted(p["http11_headers"] or {}))))


if __name__ == "__main__":
    main()
