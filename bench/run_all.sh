#!/usr/bin/env bash
# One command for the comparison in docs/benchmarks.md: every scenario of the
# coro issue for gunicornpp and the installed peers (bench/peers, the team's
# kit), 1 worker each, server and wrk pinned to separate cores, medians of RUNS.
# Writes RES/tables.md (summarize.py) and RES/plot.png (plot.py).
#
#   bench/run_all.sh            # RUNS=3 DUR=8s; RES=bench/peers/results/<time>
#   RUNS=1 DUR=2s bench/run_all.sh   # smoke run
#
# Needs the peers installed: bench/install_peers.sh (apt-get). Env: GPP_BIN
# (default build/gunicornpp), RUNS, DUR, RES, SERVER_CPU, CLIENT_CPU, SKIP_C10K=1.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export GPP_BIN=${GPP_BIN:-$HERE/../build/gunicornpp}
GPP_BIN=$(realpath "$GPP_BIN")
RUNS=${RUNS:-3}
export DUR=${DUR:-8s}
export RES=${RES:-$HERE/peers/results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$RES"
K=$HERE/peers/run_peers.sh
# scenario -> the configs it is judged against (issue goals in docs/benchmarks.md)
run() { "$K" bench -r "$RUNS" -c "$1" -s "$2"; }
run "gunicornpp-coro gunicornpp-gthread gunicorn-gthread gunicorn-gevent uwsgi" "hello_ka"
run "gunicornpp-coro gunicornpp-sync gunicorn-sync" "hello_close"
run "gunicornpp-coro gunicorn-gevent" "flask_ka sleep_c200 big_c10 bigfile_c10"
run "gunicornpp-coro gunicornpp-gthread gunicorn-gthread" "echo_post"
run "gunicornpp-coro gunicornpp-gthread gunicorn-gthread" "hello_c1000"
[ "${SKIP_C10K:-0}" = 1 ] || "$K" c10k -r 1 -c "gunicornpp-coro gunicorn-gevent"
/usr/bin/python3 "$HERE/peers/summarize.py" "$RES" > "$RES/tables.md"
/usr/bin/python3 "$HERE/peers/plot.py" "$RES" "$RES/plot.png"
echo "tables: $RES/tables.md  plot: $RES/plot.png"
