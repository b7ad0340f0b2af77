#!/usr/bin/env bash
# Hello-world benchmark of one worker class against its gunicorn peer (Debian's
# gunicorn 20.1), 1 worker, on 127.0.0.1:
#   gthread: gunicornpp -k gthread --threads 4  vs  gunicorn -k gthread --threads 4
#   coro:    gunicornpp -k coro                 vs  gunicorn -k gevent
# Server pinned to SERVER_CPU, wrk to CLIENT_CPU. Prints one line per run and
# the medians. Usage:
#   GPP_BIN=$PWD/build/gunicornpp bench/worker_hello.sh gthread|coro [RUNS]
# Env: CONNS ("50 1000"), SERVER_CPU (0), CLIENT_CPU (1), DUR (8s), GUNICORN (/usr/bin/gunicorn),
#      APPS (folder with apps.py; default /work/shared/bench or bench/).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CLASS=${1:?usage: worker_hello.sh gthread|coro [RUNS]}
RUNS=${2:-3}
case $CLASS in
  gthread) GPP_CLASS=(-k gthread --threads 4); PEER_CLASS=(-k gthread --threads 4) ;;
  coro)    GPP_CLASS=(-k coro); PEER_CLASS=(-k gevent) ;;
  *) echo "unknown class $CLASS" >&2; exit 2 ;;
esac
GPP_BIN=${GPP_BIN:-$HERE/../build/gunicornpp}
GUNICORN=${GUNICORN:-/usr/bin/gunicorn}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
DUR=${DUR:-8s}
APPS=${APPS:-/work/shared/bench}
[ -f "$APPS/apps.py" ] || APPS=$HERE
[ -f "$APPS/apps.py" ] || { echo "no apps.py (set APPS)" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

SPID=
start() {  # start NAME PORT
  local args=(-b "127.0.0.1:$2" --chdir "$APPS" --log-level warning -w 1
              --worker-connections 2000 --keep-alive 30 apps:hello)
  case $1 in
    gunicornpp) setsid taskset -c "$SERVER_CPU" "$GPP_BIN" "${GPP_CLASS[@]}" "${args[@]}" >/tmp/$CLASS-bench-$1.log 2>&1 & ;;
    gunicorn)   setsid taskset -c "$SERVER_CPU" "$GUNICORN" "${PEER_CLASS[@]}" "${args[@]}" >/tmp/$CLASS-bench-$1.log 2>&1 & ;;
  esac
  SPID=$!
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$2/" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "$1 did not start" >&2; cat /tmp/$CLASS-bench-$1.log >&2; return 1
}
stop() {
  kill -INT "$SPID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$SPID" 2>/dev/null || true
  wait "$SPID" 2>/dev/null || true
}

# run NAME CONNS -> "rps p99_ms errors"
run() {
  local port out rps p99 errs
  port=$(free_port)
  start "$1" "$port"
  timeout 20 taskset -c "$CLIENT_CPU" wrk -t1 -c2 -d1s "http://127.0.0.1:$port/" >/dev/null
  out=$(timeout 60 taskset -c "$CLIENT_CPU" wrk -t1 -c"$2" -d"$DUR" --timeout 10s --latency "http://127.0.0.1:$port/")
  stop
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  errs=$(awk '/Socket errors/ {gsub(",",""); print $4+$6+$8+$10} /Non-2xx/ {print "non2xx:" $5}' <<<"$out" | paste -sd' ')
  echo "$rps ${p99:-?} ${errs:-0}"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for conns in ${CONNS:-50 1000}; do
  for name in gunicornpp gunicorn; do
    rs=()
    for i in $(seq "$RUNS"); do
      line=$(run "$name" "$conns")
      echo "$name -c$conns run $i: rps p99_ms errors = $line"
      rs+=("$line")
    done
    printf '%s\n' "${rs[@]}" | awk '{print $1}' | median | xargs printf "MEDIAN %s -c%s rps %s" "$name" "$conns"
    printf '%s\n' "${rs[@]}" | awk '{print $2}' | median | xargs printf " p99_ms %s\n"
  done
done
