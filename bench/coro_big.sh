#!/usr/bin/env bash
# 1 MiB responses, 10 keep-alive connections: gunicornpp -k coro against
# gunicorn -k gevent (Debian's 20.1), with the body as one bytes object
# (apps:big) and through wsgi.file_wrapper (apps:big_file). One worker each,
# server on SERVER_CPU, wrk -t1 -c10 on CLIENT_CPU. Prints req/s and the
# worker's CPU per request (user+sys), the number that survives a loaded machine.
#   GPP_BIN=build/gunicornpp bench/coro_big.sh [DUR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DUR=${1:-5s}
GPP_BIN=${GPP_BIN:-$HERE/../build/gunicornpp}
GUNICORN=${GUNICORN:-/usr/bin/gunicorn}
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for app in big big_file; do
  for server in gunicornpp gunicorn; do
    PORT=$(free_port)
    case $server in
      gunicornpp) CMD=("$GPP_BIN" -k coro) ;;
      gunicorn) CMD=("$GUNICORN" -k gevent) ;;
    esac
    setsid taskset -c "${SERVER_CPU:-0}" "${CMD[@]}" -w 1 -b "127.0.0.1:$PORT" --chdir "$HERE" \
      --log-level warning "apps:$app" >/tmp/coro-big-$server.log 2>&1 &
    SPID=$!
    for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
    WPID=$(pgrep -P $SPID | head -1)
    taskset -c "${CLIENT_CPU:-1}" wrk -t1 -c10 -d1s "http://127.0.0.1:$PORT/" >/dev/null
    c0=$(cpu "$WPID")
    OUT=$(taskset -c "${CLIENT_CPU:-1}" wrk -t1 -c10 -d"$DUR" "http://127.0.0.1:$PORT/")
    c1=$(cpu "$WPID")
    N=$(echo "$OUT" | awk '/requests in/ {print $1}')
    RPS=$(echo "$OUT" | awk '/Requests\/sec/ {print $2}')
    echo "$app $server: $RPS req/s, $(( (c1 - c0) * 1000000 / $(getconf CLK_TCK) / N )) us CPU/request ($N requests)"
    kill -INT $SPID 2>/dev/null || true
    for _ in $(seq 50); do kill -0 $SPID 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- -$SPID 2>/dev/null || true
  done
done
