#!/usr/bin/env bash
# Installs everything tlgan needs on a fresh Debian machine: system packages, PyTorch (CPU), tlgan.
# Usage: bash scripts/setup.sh [--test]   (--test also installs the browser and test tools)
# Python packages go into the interpreter named by $PYTHON (default: the first python3 on the PATH, which is the
# active virtual environment's when one is active); the script says which before installing anything.
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0; [ "${1:-}" = "--test" ] && want_test=1
py=${PYTHON:-python3}
t0=$SECONDS
step() { printf '[setup %3ds] %s\n' "$((SECONDS - t0))" "$*"; }
where=$($py -c 'import sys; print(sys.prefix)')
in_venv=$($py -c 'import sys; print(int(sys.prefix != sys.base_prefix))')
if [ "$in_venv" = 1 ]; then step "python: $($py -V) in the virtual environment $where"
else step "python: $($py -V) at $where (no virtual environment active: installing into this interpreter)"; fi
apt_pkgs="dataset-fashion-mnist"
[ "$want_test" = 1 ] && apt_pkgs="$apt_pkgs chromium"
missing=""
for p in $apt_pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1; then
  step "system packages:$missing (apt-get)"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
elif [ -n "$missing" ]; then
  step "system packages:$missing missing and no apt-get here: install them yourself if you need them" \
    "(dataset-fashion-mnist: the Fashion-MNIST data; chromium: the browser tests)"
else
  step "system packages: $apt_pkgs already installed"
fi
# The pinned CPU build: an unpinned torch pulls GBs of CUDA packages.
if $py -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
  step "PyTorch 2.13.0 (CPU) already installed"
else
  step "PyTorch 2.13.0 (CPU build, pip)"
  $py -m pip install -q torch==2.13.0
fi
if [ "$want_test" = 1 ]; then
  step "tlgan (editable) with the test tools: pytest, httpx, playwright (pip)"
  $py -m pip install -q -e ".[test]"
else
  step "tlgan (editable) and its dependencies (pip)"
  $py -m pip install -q -e .
fi
step "done: run 'tlgan --help' (or '$py -m tlgan --help')"
