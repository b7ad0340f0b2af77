#!/usr/bin/env bash
# gunicornpp developer entry point for a fresh Debian 12 machine.
#   ./dev.sh serve   install what is missing, build, serve examples/rocket.py
#                    (Flask, rocket:app) on 127.0.0.1:8000 with 2 workers
#   ./dev.sh test    install what is missing, build, run the whole test suite
#   ./dev.sh build   install what is missing and build only
# Installing needs root (apt-get); sudo is used when not root.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  g++ cmake make pkg-config curl git
  libboost-all-dev libtomlplusplus-dev pybind11-dev catch2
  python3-dev python3-pytest python3-flask python3-django python3-gevent python3-pastedeploy
  libsystemd-dev libbenchmark-dev clang libclang-rt-14-dev
  gunicorn wrk
)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "dev.sh: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
  cmake --build build -j"$(nproc)"
}

case "${1:-}" in
  serve)
    install_missing
    build
    exec build/gunicornpp --chdir examples -w 2 -b 127.0.0.1:8000 rocket:app
    ;;
  test)
    install_missing
    build
    cd build
    ctest --output-on-failure --timeout 1800
    ;;
  build)
    install_missing
    build
    ;;
  *)
    echo "usage: $0 serve|test|build" >&2
    exit 2
    ;;
esac
