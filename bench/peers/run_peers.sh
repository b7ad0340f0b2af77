#!/usr/bin/env bash
# run_peers.sh - measure existing WSGI servers ("anchors") on this machine.
#
#   run_peers.sh bench [-r RUNS] [-c "CONFIGS"] [-s "SCENARIOS"]   (default mode)
#   run_peers.sh probe [-c "CONFIGS"]          keep-alive / header probe (probe.py)
#   run_peers.sh c10k  [-r RUNS] [-c "CONFIGS"] [-n CONNS]
#   run_peers.sh fill                          re-measure runs in $RES/raw.jsonl that
#                                              have no uncontended attempt yet
#
# Every measurement: fresh server on a free 127.0.0.1 port, pinned to CPU 0;
# wait until it answers (and the body is right), a 1 s / 2-connection warm-up,
# then wrk pinned to CPU 1 (-t1, -d8s, --latency, report.lua prints JSON),
# then peak RSS (VmHWM) of the server's processes (rss.py), then SIGINT to the
# server PID (SIGKILL to its own process group after 10 s if still alive).
# Results are appended as JSON lines to $RES/raw.jsonl (summarize.py makes
# the tables); RES defaults to results/ next to this script (git-ignored).
# Scratch files (nginx prefix, c10k ready flag) live in a mktemp -d folder that
# is removed on exit. Only 127.0.0.1 is ever contacted; every run is time-bounded.
#
# Environment: SERVER_CPU (0), CLIENT_CPU (1), DUR (8s), WARM (1s), RES, MAXTRY (4).
set -u
BENCH=$(cd "$(dirname "$(realpath "$0")")" && pwd)
RES=${RES:-$BENCH/results}
PY=/usr/bin/python3
GUNICORN=/usr/bin/gunicorn
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
DUR=${DUR:-8s}
WARM=${WARM:-1s}

GPP_CONFIGS="gunicornpp-coro gunicornpp-gthread gunicornpp-sync"
ALL_CONFIGS="$GPP_CONFIGS gunicorn-sync gunicorn-gthread gunicorn-gevent gunicorn-eventlet uwsgi uwsgi-http11 uwsgi-gevent waitress nginx"
ALL_SCEN="hello_ka hello_close flask_ka sleep_c200 big_c10 bigfile_c10 echo_post"
C10K_CONFIGS="gunicornpp-coro gunicorn-gevent gunicorn-eventlet gunicorn-gthread uwsgi-gevent nginx"

MODE=bench
case "${1:-}" in bench|probe|c10k|fill) MODE=$1; shift;; esac
RUNS=3; CONFIGS=""; SCENS="$ALL_SCEN"; NCONN=10000
while getopts "r:c:s:n:" o; do
  case $o in
    r) RUNS=$OPTARG;; c) CONFIGS=$OPTARG;; s) SCENS=$OPTARG;; n) NCONN=$OPTARG;;
    *) echo "bad option" >&2; exit 2;;
  esac
done
if [ -z "$CONFIGS" ]; then
  if [ $MODE = c10k ]; then CONFIGS=$C10K_CONFIGS; else CONFIGS=$ALL_CONFIGS; fi
fi

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
mkdir -p "$RES/logs" || exit 1
RES=$(cd "$RES" && pwd)          # absolute, since we cd into $BENCH below
WORK=$(mktemp -d) || exit 1      # scratch: nginx prefix, c10k ready flag, fill list
SPID=""; WPID=""
cleanup() {  # interrupted run: stop the server and watcher still running; drop scratch
  [ -n "$WPID" ] && kill -TERM "$WPID" 2>/dev/null
  [ -n "$SPID" ] && kill -KILL -- "-$SPID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$BENCH" || exit 1

free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# scenario -> APP CONNS HDR SCRIPT
scen() {
  HDR=""; SCRIPT=report.lua
  case $1 in
    hello_ka)    APP=hello; CONNS=50;;
    hello_close) APP=hello; CONNS=50; HDR="Connection: close";;
    flask_ka)    APP=flask; CONNS=50;;
    sleep_c200)  APP=sleep; CONNS=200;;
    big_c10)     APP=big;   CONNS=10;;
    bigfile_c10) APP=bigfile; CONNS=10;;             # 1 MiB via wsgi.file_wrapper
    echo_post)   APP=echo;  CONNS=10; SCRIPT=post.lua;;
    hello_c*)    APP=hello; CONNS=${1#hello_c};;      # connection sweep, keep-alive
    *) echo "unknown scenario $1" >&2; return 1;;
  esac
}

# start_server CONFIG APP PORT LOG  -> sets SPID (server root PID == its pgid)
start_server() {
  local cfg=$1 app=$2 port=$3 log=$4
  local ga="apps:$app" ua="apps:$app"
  if [ "$app" = flask ]; then ga="apps:flask_app"; ua="uwsgi_flask:application"; fi
  local g=($GUNICORN -b 127.0.0.1:$port --chdir $BENCH --log-level warning)
  local uplug=python3; [ $cfg = uwsgi-gevent ] && uplug=python3,gevent_python3
  local u=(uwsgi --plugin $uplug --master --processes 1 --chdir $BENCH --disable-logging
           --listen 2048 --need-app --module $ua)
  # C10K=1: settings so that 10k idle keep-alive connections may be held
  local gk=() uk=() gcore=100
  if [ "${C10K:-0}" = 1 ]; then
    gk=(--worker-connections 20000 --keep-alive 75); uk=(--socket-timeout 75); gcore=10240
  fi
  local cmd
  # gunicornpp (GPP_BIN, absolute): the same arguments as gunicorn
  local gpp=("${GPP_BIN:-/nonexistent}" "${g[@]:1}")
  case $cfg in
    gunicornpp-*)      [ -x "${GPP_BIN:-}" ] || { echo "set GPP_BIN to gunicornpp" >&2; return 1; };;&
    gunicornpp-coro)   if [ ${#gk[@]} = 0 ]; then gk=(--worker-connections 1000); fi
                       cmd=("${gpp[@]}" -k coro -w 1 "${gk[@]}" "$ga");;
    gunicornpp-gthread) cmd=("${gpp[@]}" -k gthread -w 1 --threads 4 "${gk[@]}" "$ga");;
    gunicornpp-sync)   cmd=("${gpp[@]}" -k sync -w 1 "$ga");;
    gunicorn-sync)     cmd=("${g[@]}" -k sync -w 1 "$ga");;
    gunicorn-gthread)  cmd=("${g[@]}" -k gthread -w 1 --threads 8 "${gk[@]}" "$ga");;
    gunicorn-gevent)   if [ ${#gk[@]} = 0 ]; then gk=(--worker-connections 1000); fi
                       cmd=("${g[@]}" -k gevent -w 1 "${gk[@]}" "$ga");;
    gunicorn-eventlet) cmd=("${g[@]}" -k eventlet -w 1 "${gk[@]}" "$ga");;
    uwsgi)             cmd=("${u[@]}" --http-socket 127.0.0.1:$port);;
    uwsgi-http11)      cmd=("${u[@]}" --http11-socket 127.0.0.1:$port "${uk[@]}");;
    uwsgi-gevent)      # --http11-socket + gevent crashes uwsgi 2.0.21/gevent 22.10 on the first
                       # keep-alive request ('io' object has no attribute 'stop', then a libev
                       # assertion kills the worker), so keep-alive cannot be measured here
                       local sock=${UWSGI_GEVENT_SOCK:---http-socket}
                       cmd=("${u[@]}" $sock 127.0.0.1:$port
                            --gevent $gcore --gevent-monkey-patch "${uk[@]}");;
    waitress)          cmd=(env PYTHONPATH=$BENCH /usr/bin/waitress-serve --threads=4
                            --listen=127.0.0.1:$port "$ga");;
    nginx)             local nd=$WORK/nginx
                       mkdir -p "$nd"
                       sed -e "s|__PORT__|$port|g" -e "s|__DIR__|$nd|g" $BENCH/nginx.conf \
                         > "$nd/nginx.conf"
                       cmd=(/usr/sbin/nginx -p "$nd/" -c "$nd/nginx.conf");;
    *) echo "unknown config $cfg" >&2; return 1;;
  esac
  echo "CMD: setsid taskset -c $SERVER_CPU ${cmd[*]}" > "$log"
  setsid taskset -c $SERVER_CPU "${cmd[@]}" >>"$log" 2>&1 &
  SPID=$!
  STOPSIG=INT; [ $cfg = waitress ] && STOPSIG=TERM
  LASTCMD="taskset -c $SERVER_CPU ${cmd[*]}"
}

stop_server() {  # PID [SIGNAL]; waitress needs TERM: background jobs of a script
  # start with SIGINT ignored, so Python never gets KeyboardInterrupt there
  local pid=$1 sig=${2:-INT} i
  kill -$sig "$pid" 2>/dev/null
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  # leftovers (still-running master, or orphaned workers) in the server's own group
  if kill -0 "$pid" 2>/dev/null || [ -n "$(ps -o pid= -g "$pid" 2>/dev/null)" ]; then
    kill -KILL -- "-$pid" 2>/dev/null
    sleep 0.3
  fi
  wait "$pid" 2>/dev/null
  SPID=""
}

# wait_ready PORT APP PID -> 0 when the expected body is served
wait_ready() {
  local port=$1 app=$2 pid=$3 i out
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || { echo "server died" >&2; return 1; }
    case $app in
      echo) out=$(curl -s -m 2 --data-binary hello http://127.0.0.1:$port/ 2>/dev/null);
            [ "$out" = "5" ] && return 0;;
      big|bigfile)  out=$(curl -s -m 2 http://127.0.0.1:$port/ 2>/dev/null | wc -c);
            [ "$out" = "1048576" ] && return 0;;
      *)    out=$(curl -s -m 2 http://127.0.0.1:$port/ 2>/dev/null);
            [ "$out" = "Hello, World!" ] && return 0;;
    esac
    sleep 0.1
  done
  echo "not ready after 15s (last: ${out:0:80})" >&2
  return 1
}

run_wrk() {  # CONNS SCRIPT HDR PORT DURATION
  local a=(-t1 -c"$1" -d"$5" --latency -s "$BENCH/$2")
  [ -n "$3" ] && a+=(-H "$3")
  timeout 40 taskset -c $CLIENT_CPU wrk "${a[@]}" "http://127.0.0.1:$4/"
}

record() {  # key=value strings and key@=FILE (wrk/phase1/final: tagged line; mem*: JSON file)
  $PY - "$@" <<'EOF'
import json, sys
TAGS = {"wrk": "WRKJSON ", "phase1": "PHASE1 ", "final": "FINAL "}
out = {}
for kv in sys.argv[1:]:
    k, _, v = kv.partition("=")
    if not k.endswith("@"):
        out[k] = v
        continue
    k = k[:-1]
    try:
        txt = open(v).read()
    except OSError:
        txt = ""
    val = None
    if k in TAGS:
        for line in txt.splitlines():
            if line.startswith(TAGS[k]):
                val = json.loads(line[len(TAGS[k]):])
    else:
        try:
            val = json.loads(txt)
        except ValueError:
            val = None
    out[k] = val
print(json.dumps(out))
EOF
}

# wait (max 120 s) until processes outside this benchmark use < 5% of a core
wait_quiet() {
  local i f
  [ "${NO_WAIT:-0}" = 1 ] && return 0   # smoke runs on a busy machine
  for i in $(seq 1 60); do
    f=$($PY $BENCH/cpuwatch.py quiet $$ 1)
    awk -v f="$f" 'BEGIN{exit !(f < 0.05)}' && return 0
    [ $i = 1 ] && echo "  (machine busy: foreign cpu $f, waiting)"
    sleep 1
  done
  echo "  (still busy after 120 s, measuring anyway)"
}

# measured_wrk TAG CONNS SCRIPT HDR PORT -> wrk output in $RES/logs/TAG.wrk.txt,
# foreign-CPU report in $RES/logs/TAG.cpu.json; sets CONTENDED=yes|no
measured_wrk() {
  local tag=$1
  $PY $BENCH/cpuwatch.py watch $$ "$RES/logs/$tag.cpu.json" &
  WPID=$!
  run_wrk "$2" "$3" "$4" "$5" "$DUR" > "$RES/logs/$tag.wrk.txt" 2>&1
  kill -TERM $WPID; wait $WPID; WPID=""
  CONTENDED=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print("yes" if d["foreign_cpu_s"] > 0.05*d["elapsed_s"] else "no")' "$RES/logs/$tag.cpu.json" 2>/dev/null || echo unknown)
}

MAXTRY=${MAXTRY:-4}
TRYBASE=${TRYBASE:-0}
bench_one() {  # CONFIG SCENARIO RUN
  local cfg=$1 scn=$2 run=$3 port tag try
  scen "$scn" || return
  if [ $cfg = nginx ] && [ $APP != hello ]; then return; fi
  for try in $(seq $((TRYBASE + 1)) $((TRYBASE + MAXTRY))); do
    wait_quiet
    port=$(free_port)
    tag="$cfg.$scn.$run.$try"
    start_server "$cfg" "$APP" "$port" "$RES/logs/$tag.server.log" || return
    if ! wait_ready "$port" "$APP" "$SPID" 2>>"$RES/logs/$tag.server.log"; then
      stop_server "$SPID" $STOPSIG
      record config=$cfg scenario=$scn run=$run try=$try status=not_ready "cmd=$LASTCMD" >> "$RES/raw.jsonl"
      echo "$tag: NOT READY"; return
    fi
    # warm-up: low concurrency so that no backlog is left behind (sleep app)
    local whdr=(); [ -n "$HDR" ] && whdr=(-H "$HDR")
    timeout 20 taskset -c $CLIENT_CPU wrk -t1 -c2 -d$WARM -s "$BENCH/$SCRIPT" "${whdr[@]}" \
      "http://127.0.0.1:$port/" > /dev/null 2>&1
    measured_wrk "$tag" "$CONNS" "$SCRIPT" "$HDR" "$port"
    $PY $BENCH/rss.py "$SPID" > "$RES/logs/$tag.mem.json"
    local alive=yes; kill -0 "$SPID" 2>/dev/null || alive=no
    stop_server "$SPID" $STOPSIG
    record config=$cfg scenario=$scn run=$run try=$try status=ok contended=$CONTENDED \
      server_alive_after=$alive conns=$CONNS "header=$HDR" "cmd=$LASTCMD" \
      "wrk_cmd=taskset -c $CLIENT_CPU wrk -t1 -c$CONNS -d$DUR --latency -s $SCRIPT ${HDR:+-H '$HDR'}" \
      wrk@="$RES/logs/$tag.wrk.txt" mem@="$RES/logs/$tag.mem.json" cpu@="$RES/logs/$tag.cpu.json" \
      >> "$RES/raw.jsonl"
    tail -n1 "$RES/raw.jsonl" | $PY -c 'import json,sys; d=json.loads(sys.stdin.read()); w=d.get("wrk") or {}; m=d.get("mem") or {}; print(d["config"], d["scenario"], d["run"], "try", d["try"], "contended=%s" % d["contended"], "rps=%s p50=%sus p99=%sus errs=%s hwm=%sKiB" % (w.get("rps"), w.get("p50_us"), w.get("p99_us"), sum(w.get(k,0) for k in ("err_connect","err_read","err_write","err_status","err_timeout")) if w else None, m.get("worker_hwm_kb")), flush=True)'
    [ "$CONTENDED" = no ] && return
  done
}

probe_one() {
  local cfg=$1 port
  port=$(free_port)
  start_server "$cfg" hello "$port" "$RES/logs/$cfg.probe.server.log" || return
  if wait_ready "$port" hello "$SPID" 2>/dev/null; then
    echo "{\"config\": \"$cfg\", \"probe\": $(timeout 20 $PY $BENCH/probe.py $port)}" | tee -a "$RES/probe.jsonl"
  else
    echo "$cfg: not ready"
  fi
  stop_server "$SPID" $STOPSIG
}

c10k_one() {  # CONFIG RUN
  local cfg=$1 run=$2 port tag ready
  wait_quiet
  port=$(free_port); tag="$cfg.c10k.$run"; ready=$WORK/c10k.ready
  rm -f "$ready"
  C10K=1 start_server "$cfg" hello "$port" "$RES/logs/$tag.server.log" || return
  if ! wait_ready "$port" hello "$SPID" 2>>"$RES/logs/$tag.server.log"; then
    stop_server "$SPID" $STOPSIG; echo "$tag: NOT READY"; return
  fi
  timeout 20 taskset -c $CLIENT_CPU wrk -t1 -c2 -d$WARM "http://127.0.0.1:$port/" > /dev/null 2>&1
  $PY $BENCH/rss.py "$SPID" > "$RES/logs/$tag.mem_idle.json"
  timeout 150 taskset -c $CLIENT_CPU $PY $BENCH/c10k.py --port "$port" -n "$NCONN" --hold 14 \
    --deadline 140 --ready-file "$ready" > "$RES/logs/$tag.client.txt" 2>&1 &
  local cpid=$! i
  for i in $(seq 1 900); do
    [ -e "$ready" ] && break
    kill -0 $cpid 2>/dev/null || break
    sleep 0.1
  done
  $PY $BENCH/rss.py "$SPID" > "$RES/logs/$tag.mem_held.json"
  measured_wrk "$tag" 50 report.lua "" "$port"
  wait $cpid
  $PY $BENCH/rss.py "$SPID" > "$RES/logs/$tag.mem_end.json"
  local alive=yes; kill -0 "$SPID" 2>/dev/null || alive=no
  stop_server "$SPID" $STOPSIG; rm -f "$ready"
  record config=$cfg scenario=c10k run=$run n=$NCONN server_alive_after=$alive "cmd=$LASTCMD" \
    contended=$CONTENDED cpu@="$RES/logs/$tag.cpu.json" \
    phase1@="$RES/logs/$tag.client.txt" final@="$RES/logs/$tag.client.txt" \
    wrk@="$RES/logs/$tag.wrk.txt" mem_idle@="$RES/logs/$tag.mem_idle.json" \
    mem_held@="$RES/logs/$tag.mem_held.json" mem_end@="$RES/logs/$tag.mem_end.json" \
    >> "$RES/c10k.jsonl"
  tail -n1 "$RES/c10k.jsonl" | $PY -c 'import json,sys; d=json.loads(sys.stdin.read()); p=d.get("phase1") or {}; f=d.get("final") or {}; w=d.get("wrk") or {}; mi=d.get("mem_idle") or {}; mh=d.get("mem_held") or {}; print(d["config"], "run", d["run"], "ok1=%s/%s still_open=%s ok2=%s rps=%s p99=%s idleRSS=%s heldRSS=%s" % (p.get("responded_ok"), p.get("n"), f.get("still_open"), f.get("second_request_ok"), w.get("rps"), w.get("p99_us"), mi.get("total_rss_kb"), mh.get("total_rss_kb")))'
}

echo "mode=$MODE runs=$RUNS configs=[$CONFIGS] ulimit-n=$(ulimit -n)"
case $MODE in
  bench)
    for cfg in $CONFIGS; do
      for scn in $SCENS; do
        for run in $(seq 1 "$RUNS"); do bench_one "$cfg" "$scn" "$run"; done
      done
    done;;
  fill)
    TRYBASE=$(( $(date +%s) % 100000 * 10 ))
    $PY - "$RES/raw.jsonl" <<'EOF' > "$WORK/fill.list"
import json, sys
runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    k = (r["config"], r["scenario"], r["run"])
    runs[k] = runs.get(k, False) or r.get("contended") == "no"
for (c, s, n), ok in runs.items():
    if not ok:
        print(c, s, n)
EOF
    while read -r cfg scn run; do bench_one "$cfg" "$scn" "$run"; done < "$WORK/fill.list";;
  probe)
    for cfg in $CONFIGS; do probe_one "$cfg"; done;;
  c10k)
    for cfg in $CONFIGS; do
      for run in $(seq 1 "$RUNS"); do c10k_one "$cfg" "$run"; done
    done;;
esac
