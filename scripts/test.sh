#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, then run them all.
# Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup-env.sh
check_tools   # git, Python 3.11+ and python3-venv first: each missing one named with its command

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian's chromium for the browser tests (apt-get, about a minute)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

setup_env "[test]"

echo "== lint"
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
.venv/bin/lint-imports
.venv/bin/mypy

if [ -n "${MODELYARD_BENCH_SMALL:-}" ]; then
  # figures at the small size, printed (not asserted), so a change that makes things slower shows
  echo "== benchmark (small registry)"
  .venv/bin/python benchmarks/run.py --size small --repeat 3 --no-write
fi

echo "== tests"
exec .venv/bin/python -m pytest "$@"
