#!/usr/bin/env bash
# The 1,000-connection sleep test: one coro worker, probe_apps:sleep_probe (time.sleep(0.05),
# patched by gevent, timed), wrk -t1 -cC for D. Prints req/s, the fraction of the
# ideal min(C / 0.05, 1 / cpu_per_request), the worker's CPU use and wrk's.
#   GPP_BIN=build/gunicornpp bench/coro_sleep.sh [C] [D]   (env SERVER_CPU=0, CLIENT_CPU=1: taskset lists)
#   GPP_BIN=/usr/bin/gunicorn KLASS=gevent bench/coro_sleep.sh 200   # the same for gunicorn's gevent worker
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
C=${1:-1000}
D=${2:-10}
GPP_BIN=${GPP_BIN:-$HERE/../build/gunicornpp}
APPS=$HERE  # probe_apps:sleep_probe
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
setsid taskset -c "${SERVER_CPU:-0}" "$GPP_BIN" -k "${KLASS:-coro}" -w 1 --worker-connections 4000 --keep-alive 30 --log-level warning \
  -b "127.0.0.1:$PORT" --chdir "$APPS" probe_apps:sleep_probe >/tmp/coro-sleep-server.log 2>&1 &
SPID=$!
trap 'kill -INT $SPID 2>/dev/null || true; sleep 1; kill -KILL -- -$SPID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break; sleep 0.1; done
WPID=$(pgrep -P $SPID | head -1)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
taskset -c "${CLIENT_CPU:-1}" wrk -t1 -c"$C" -d2s "http://127.0.0.1:$PORT/" >/dev/null  # warm-up: all connections open
sched() { awk '{print $2}' "/proc/$1/schedstat"; }  # ns spent runnable but waiting for a CPU
curl -fs "http://127.0.0.1:$PORT/stats" >/dev/null
c0=$(cpu "$WPID"); q0=$(sched "$WPID"); t0=$(date +%s.%N)
OUT=$( { /usr/bin/time -f "wrk cpu %U %S" taskset -c "${CLIENT_CPU:-1}" wrk -t1 -c"$C" -d"${D}s" --latency "http://127.0.0.1:$PORT/"; } 2>&1 )
c1=$(cpu "$WPID"); q1=$(sched "$WPID"); t1=$(date +%s.%N)
echo "in the app: $(curl -fs "http://127.0.0.1:$PORT/stats")"
echo "$OUT" | grep -E "Requests/sec|Latency|50%|90%|99%|Socket|Non-2xx|wrk cpu|requests in"
HZ=$(getconf CLK_TCK)
/usr/bin/python3 - "$OUT" "$c0" "$c1" "$t0" "$t1" "$HZ" "$C" "$q0" "$q1" <<'PY'
import re, sys
out, c0, c1, t0, t1, hz, conns, q0, q1 = sys.argv[1], *map(float, sys.argv[2:])
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
n = int(re.search(r"(\d+) requests in", out).group(1))
wall = t1 - t0
cpu_s = (c1 - c0) / hz
per = cpu_s / n
ideal = min(conns / 0.05, 1 / per)
print("worker CPU %.0f%% of one core, %.1f us/request; waited for a CPU %.0f%% of the time; "
      "ideal %.0f req/s; reached %.1f%%"
      % (100 * cpu_s / wall, per * 1e6, 100 * (q1 - q0) / 1e9 / wall, ideal, 100 * rps / ideal))
PY
