#!/usr/bin/env bash
# Set up modelyard, build the demo registry in ./demo-registry and show what is in it.
# Usage: bash scripts/demo.sh [folder]
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-demo-registry}"
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
rm -rf "$target"
.venv/bin/modelyard demo "$target"
.venv/bin/modelyard --registry "$target" recipes list
