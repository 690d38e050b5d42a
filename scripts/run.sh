#!/usr/bin/env bash
# `make run`: migrate, make sure Redis answers, then serve Cutouts in one
# terminal. Ctrl-C stops everything this script started.
set -euo pipefail
BIN=${BIN:-.venv/bin}
PORT=${PORT:-8000}
mkdir -p var

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

# shellcheck source=scripts/redis.sh
source "$(dirname "$0")/redis.sh"
ensure_redis

"$BIN/python" manage.py migrate --noinput
if [ -n "${DJANGO_SUPERUSER_USERNAME:-}" ] && [ -n "${DJANGO_SUPERUSER_PASSWORD:-}" ]; then
  "$BIN/python" manage.py createsuperuser --noinput 2>/dev/null \
    && echo "Created admin ${DJANGO_SUPERUSER_USERNAME}." \
    || echo "Admin ${DJANGO_SUPERUSER_USERNAME} already exists."
elif ! "$BIN/python" manage.py shell -c "from django.contrib.auth.models import User; import sys; sys.exit(0 if User.objects.filter(is_superuser=True).exists() else 1)"; then
  echo "No admin yet. Create one with: $BIN/python manage.py createsuperuser"
  echo "or run again with DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_PASSWORD and DJANGO_SUPERUSER_EMAIL set."
fi

# With no API key, Cutouts talks to the local sandbox of the withoutbg API.
if [ -z "${WITHOUTBG_API_KEY:-}" ] && [ "${MATTING_ENGINE:-api}" = api ]; then
  sandbox_port=${SANDBOX_PORT:-8765}
  export WITHOUTBG_BASE_URL="http://127.0.0.1:$sandbox_port" WITHOUTBG_API_KEY="${WITHOUTBG_SANDBOX_KEYS:-sandbox-key}"
  WITHOUTBG_API_KEY=${WITHOUTBG_API_KEY%%,*}
  echo "No WITHOUTBG_API_KEY: using the sandbox API at $WITHOUTBG_BASE_URL (real mattes from the offline model)."
  "$BIN/python" manage.py withoutbg_sandbox --port "$sandbox_port" &
  pids+=($!)
  # Workers and the first credit check must find it answering.
  "$BIN/python" - "$WITHOUTBG_BASE_URL" <<'PY'
import sys
import time

import httpx

for _ in range(300):
    try:
        httpx.get(sys.argv[1] + "/available-credit", timeout=1)
        break
    except httpx.TransportError:
        time.sleep(0.1)
else:
    sys.exit("The sandbox API did not start.")
PY
fi

"$BIN/python" manage.py rqworker default --with-scheduler &
pids+=($!)
# Studio renders and export ZIPs on their own workers: processing never waits behind them.
for _ in $(seq "${RENDER_WORKERS:-1}"); do
  "$BIN/python" manage.py rqworker renders &
  pids+=($!)
done
# Webhook deliveries on their own worker: a slow receiver holds back nothing else.
"$BIN/python" manage.py rqworker webhooks --with-scheduler \
  --worker-class cutouts.processing.queueing.DeliveryWorker &
pids+=($!)
"$BIN/python" manage.py rqcron cutouts.cron &
pids+=($!)

echo "Cutouts is at http://127.0.0.1:$PORT/"
"$BIN/python" manage.py runserver "127.0.0.1:$PORT" &
pids+=($!)
# When any of them stops, stop them all: a half-running app is worse than none.
wait -n
