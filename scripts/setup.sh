#!/usr/bin/env bash
# Installs everything tlgan needs on a fresh Debian machine: system packages, PyTorch (CPU), tlgan.
# Usage: bash scripts/setup.sh [--test]   (--test also installs the browser and test tools)
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0; [ "${1:-}" = "--test" ] && want_test=1
apt_pkgs="dataset-fashion-mnist"
[ "$want_test" = 1 ] && apt_pkgs="$apt_pkgs chromium"
missing=""
for p in $apt_pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
py=${PYTHON:-python3}
# The pinned CPU build: an unpinned torch pulls GBs of CUDA packages.
$py -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null \
  || $py -m pip install -q torch==2.13.0
if [ "$want_test" = 1 ]; then $py -m pip install -q -e ".[test]"; else $py -m pip install -q -e .; fi
