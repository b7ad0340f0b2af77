#!/usr/bin/env bash
# The peers bench/run_all.sh compares against, from Debian (not needed by the tests).
set -euo pipefail
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  gunicorn python3-gevent python3-eventlet uwsgi uwsgi-plugin-python3 uwsgi-plugin-gevent-python3 \
  python3-waitress python3-flask python3-matplotlib wrk nginx-light curl util-linux
