#!/usr/bin/python3
"""Plot the median requests/sec of every config x scenario in RESULTS_DIR/raw.jsonl
as grouped bars (one group per scenario, log scale), next to the tables.
Usage: plot.py RESULTS_DIR OUTPUT.png"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import summarize  # noqa: E402


def medians(res):
    summarize.RES = res
    per_run = {}
    for r in summarize.load("raw.jsonl"):
        k = (r["config"], r["scenario"], r["run"])
        prev = per_run.get(k)
        if prev is None or prev.get("contended") != "no":
            per_run[k] = r
    groups = {}
    for (cfg, scn, _), r in per_run.items():
        if r.get("status") == "ok" and r.get("wrk"):
            groups.setdefault((cfg, scn), []).append(r["wrk"]["rps"])
    return {k: summarize.med(v) for k, v in groups.items()}


def main():
    res, out = sys.argv[1], sys.argv[2]
    m = medians(res)
    cfgs = sorted({c for c, _ in m}, key=lambda c: summarize.order(c, summarize.CONFIG_ORDER))
    scns = sorted({s for _, s in m}, key=lambda s: summarize.order(s, summarize.SCEN_ORDER))
    width = 0.8 / max(len(cfgs), 1)
    fig, ax = plt.subplots(figsize=(max(8, 1.6 * len(scns)), 5))
    for i, cfg in enumerate(cfgs):
        xs = [j + i * width for j, s in enumerate(scns) if (cfg, s) in m]
        ys = [m[(cfg, s)] for s in scns if (cfg, s) in m]
        ax.bar(xs, ys, width, label=cfg, hatch="" if cfg.startswith("gunicornpp") else "//")
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(scns))])
    ax.set_xticklabels(scns, rotation=20)
    ax.set_yscale("log")
    ax.set_ylabel("requests/s (median, log scale)")
    ax.set_title("1 worker, server and wrk on separate cores (127.0.0.1)")
    ax.legend(fontsize=8, ncol=2)
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=90)


if __name__ == "__main__":
    main()
