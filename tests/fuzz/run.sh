#!/bin/sh
# Build the libFuzzer target with clang into its own build dir, fuzz for a
# bounded time seeded with the request corpus, then replay every seed and
# every input the fuzzer kept. Exits non-zero on a crash or sanitizer report.
#
#   tests/fuzz/run.sh            # 60 s
#   FUZZ_SECONDS=600 tests/fuzz/run.sh
#   tests/fuzz/run.sh 30         # seconds as first argument
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-${FUZZ_SECONDS:-60}}
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-1}

cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER="${CXX_FUZZ:-/usr/bin/clang++}" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target http_parser_fuzz -j "$jobs"

# Seeds: the corpus fixtures decoded to wire bytes (the same escapes as
# run_requests.py), each behind a 3-byte options prefix (default options).
seeds="$build/seeds"
kept="$build/kept"
rm -rf "$seeds"
mkdir -p "$seeds" "$kept"
/usr/bin/python3 - "$root/tests/corpus/requests" "$seeds" <<'PY'
import os, re, sys
src, dst = sys.argv[1], sys.argv[2]
def decode(raw):
    data = raw.replace(b"\n", b"").replace(b"\\r\\n", b"\r\n")
    data = data.replace(b"\\0", b"\x00").replace(b"\\n", b"\n").replace(b"\\t", b"\t")
    return re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), data)
for kind in ("valid", "invalid"):
    for fn in sorted(os.listdir(os.path.join(src, kind))):
        if fn.endswith(".http"):
            with open(os.path.join(src, kind, fn), "rb") as fh:
                data = decode(fh.read())
            # proxy mode auto for the pp_* fixtures, off otherwise
            mode = 3 if fn.startswith("pp_") else 0
            with open(os.path.join(dst, kind + "_" + fn[:-5]), "wb") as out:
                out.write(bytes([0, 0, mode << 1]) + data)
PY

fuzzer="$build/http_parser_fuzz"
echo "fuzzing for ${seconds}s"
"$fuzzer" -max_total_time="$seconds" -max_len=20000 -timeout=10 \
          -artifact_prefix="$build/" "$kept" "$seeds"

echo "replaying seeds and kept inputs"
# With file arguments libFuzzer runs each input once and exits non-zero on a crash.
find "$seeds" "$kept" -type f | xargs "$fuzzer" -timeout=10 >/dev/null 2>"$build/replay.log" || {
  tail -40 "$build/replay.log"
  echo "replay FAILED" >&2
  exit 1
}
echo "fuzz OK"
