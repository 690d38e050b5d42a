# Sourced by run.sh and test.sh: make sure a Redis answers at REDIS_URL,
# starting a private redis-server when none does. Its pid joins `pids`, which
# the sourcing script stops on exit.
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}

redis_answers() {
  "$BIN/python" - "$REDIS_URL" <<'PY'
import sys
import redis
try:
    redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
except redis.RedisError:
    sys.exit(1)
PY
}

ensure_redis() {
  redis_answers && return 0
  if ! command -v redis-server >/dev/null; then
    echo "No Redis answers at $REDIS_URL and redis-server is not installed." >&2
    echo "Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)" >&2
    echo "or point REDIS_URL at a running Redis." >&2
    exit 1
  fi
  local port
  port=$("$BIN/python" -c "import sys, urllib.parse as u; print(u.urlparse(sys.argv[1]).port or 6379)" "$REDIS_URL")
  echo "No Redis at $REDIS_URL: starting a private redis-server on port $port."
  mkdir -p var
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir var >var/redis.log 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do redis_answers && return 0; sleep 0.1; done
  echo "The private redis-server did not answer; see var/redis.log." >&2
  exit 1
}
