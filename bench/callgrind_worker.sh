#!/usr/bin/env bash
# Instructions per hello-world request in one worker, under callgrind:
# start the server under valgrind (children traced), warm up, zero the
# worker's counters, send N keep-alive requests on C connections, dump.
# Prints Ir/request and writes the profile to OUT (callgrind_annotate it).
#   bench/callgrind_worker.sh coro|gthread [N] [C] [OUT]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CLASS=${1:?usage: callgrind_worker.sh coro|gthread [N] [C] [OUT]}
N=${2:-2000}
C=${3:-10}
OUT=${4:-/tmp/callgrind-$CLASS-$N}
GPP_BIN=${GPP_BIN:-$HERE/../build/gunicornpp}
case $CLASS in
  gthread) ARGS=(-k gthread --threads 4) ;;
  coro) ARGS=(-k coro) ;;
  *) echo "unknown class" >&2; exit 2 ;;
esac
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$OUT"
setsid valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$OUT/cg.%p" \
  "$GPP_BIN" "${ARGS[@]}" -w 1 -b "127.0.0.1:$PORT" --chdir "$HERE/peers" --keep-alive 60 --timeout 120 \
  --log-level warning apps:hello >"$OUT/server.log" 2>&1 &
SPID=$!
trap 'kill -INT $SPID 2>/dev/null || true; sleep 2; kill -KILL -- -$SPID 2>/dev/null || true' EXIT
# Ready when a request is answered (valgrind is ~50x slower to start).
/usr/bin/python3 "$HERE/keepalive_client.py" "$PORT" 20 1 120 >/dev/null
# The arbiter is valgrind's child SPID itself; its worker is SPID's child.
WPID=$(pgrep -P $SPID | head -1)
/usr/bin/python3 "$HERE/keepalive_client.py" "$PORT" 200 "$C" 120 >/dev/null  # warm-up
callgrind_control -z "$WPID" >/dev/null
/usr/bin/python3 "$HERE/keepalive_client.py" "$PORT" "$N" "$C" 300
callgrind_control -d "$WPID" >/dev/null
sleep 1
F=$(ls -t "$OUT"/cg."$WPID"* | head -1)
IR=$(callgrind_annotate "$F" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1; exit}')
echo "$CLASS: $N requests on $C connections, worker $WPID: $IR Ir, $((IR / N)) Ir/request ($F)"
