#!/usr/bin/env bash
# `make test`: the browser, a Redis, the linters and import contracts, then
# pytest. Anything this script started is stopped when it ends.
set -euo pipefail
BIN=${BIN:-.venv/bin}

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

"$(dirname "$0")/ensure-chromium.sh"
# shellcheck source=scripts/redis.sh
source "$(dirname "$0")/redis.sh"
ensure_redis

"$BIN/ruff" check .
# The import contracts in pyproject.toml: Django-free lib/, no sandbox in the product, layers.
"$BIN/lint-imports" --no-cache --no-logo
"$BIN/python" manage.py makemigrations --check --dry-run
"$BIN/pytest" "$@"
