#!/usr/bin/env bash
# Set up modelyard and serve the shipped demo registry (registry/): the catalog at
# http://127.0.0.1:8000/model-development/, the HTTP API under /api/ml-development/ and its
# docs at /docs, the chat at /model-development/chat/. Ctrl-C stops.
# The registry is served from a fresh local clone in .demo/, so what you change through the
# API is committed there and never touches this checkout.
# Usage: bash scripts/demo.sh [port]
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-8000}"
. scripts/setup-env.sh
setup_env
echo "== cloning this checkout into .demo/ (the registry the server writes to)"
rm -rf .demo
git clone -q . .demo
echo "== validating the demo registry"
.venv/bin/modelyard --registry .demo/registry validate
.venv/bin/modelyard --registry .demo/registry recipes list
echo
echo "Catalog: http://127.0.0.1:$port/model-development/   API docs: http://127.0.0.1:$port/docs"
exec .venv/bin/modelyard --registry .demo/registry serve --port "$port"
