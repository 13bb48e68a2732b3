#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, then run them all.
# Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian's chromium (browser tests)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  python3 -m venv .venv
fi
echo "== installing modelyard and its test dependencies"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"

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
