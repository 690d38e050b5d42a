#!/usr/bin/env bash
# The browser tests drive Debian's Chromium; install it when it is missing and
# we may (root with apt-get). Otherwise say how, and the browser tests skip.
set -euo pipefail
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "Chromium is not installed: browser tests will be skipped." >&2
  echo "Install it with: sudo apt-get install chromium" >&2
fi
