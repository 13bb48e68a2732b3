#!/usr/bin/env bash
# Set up modelyard, build the demo registry in ./demo-registry and serve it: the catalog at
# http://127.0.0.1:8000/model-development/, the seed API and its docs at /docs. Ctrl-C stops.
# Usage: bash scripts/demo.sh [folder] [port]
#        MODELYARD_DEMO_NO_SERVE=1 bash scripts/demo.sh   (build and list only)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-demo-registry}"
port="${2:-8000}"
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
rm -rf "$target"
.venv/bin/modelyard demo "$target"
.venv/bin/modelyard --registry "$target" recipes list
if [ -n "${MODELYARD_DEMO_NO_SERVE:-}" ]; then exit 0; fi
echo
echo "Catalog: http://127.0.0.1:$port/model-development/   API docs: http://127.0.0.1:$port/docs"
exec .venv/bin/modelyard --registry "$target" serve --port "$port"
