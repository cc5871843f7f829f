#!/usr/bin/env bash
# Browser end-to-end tests: the admin console (console.mjs) and the signup
# form embedded in a news article on another origin (embed.mjs), against a
# real `herald serve` (debug build, fresh SQLite database, mail to the SMTP
# capture server), driven by Debian's Chromium through playwright-core.
# Screenshots land in tests/e2e/screenshots/. Exits non-zero on any failure.
#
#   bash tests/e2e/run.sh
#   E2E_TESTS=embed bash tests/e2e/run.sh    # one of them
#
# Uses TEST_SMTP_URL / TEST_MAILDEV_URL when set (as .ci/run does), else
# maildev on 127.0.0.1:1025/1080, started here if nothing answers.
set -euo pipefail

E2E_DIR="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$E2E_DIR/../.." && pwd)"
SMTP_URL="${TEST_SMTP_URL:-smtp://127.0.0.1:1025}"
MAILDEV_URL="${TEST_MAILDEV_URL:-http://127.0.0.1:1080}"

if [ ! -x /usr/bin/chromium ]; then
  echo "e2e: installing chromium"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi

(
  cd "$E2E_DIR"
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
)

(cd "$ROOT" && cargo build --quiet --bin herald)
HERALD="${CARGO_TARGET_DIR:-$ROOT/target}/debug/herald"
case "$HERALD" in /*) ;; *) HERALD="$ROOT/$HERALD" ;; esac

WORK="$(mktemp -d -t herald-e2e.XXXXXX)"
HERALD_PID=""
MAILDEV_PID=""
cleanup() {
  if [ -n "$HERALD_PID" ]; then
    kill "$HERALD_PID" 2>/dev/null || true
    wait "$HERALD_PID" 2>/dev/null || true
  fi
  if [ -n "$MAILDEV_PID" ]; then
    kill "$MAILDEV_PID" 2>/dev/null || true
    wait "$MAILDEV_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! curl -fs -o /dev/null --max-time 5 "$MAILDEV_URL/healthz"; then
  echo "e2e: starting maildev"
  maildev --smtp 1025 --web 1080 --ip 127.0.0.1 --web-ip 127.0.0.1 </dev/null >"$WORK/maildev.log" 2>&1 &
  MAILDEV_PID=$!
  for _ in $(seq 1 60); do
    curl -fs -o /dev/null "$MAILDEV_URL/healthz" && break
    sleep 0.5
  done
fi

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
PORT="$(free_port)"
# embed.mjs serves its article from ARTICLE_PORT (an allowed origin) and from
# OTHER_PORT (not allowed).
ARTICLE_PORT="$(free_port)"
OTHER_PORT="$(free_port)"
export HERALD_LISTEN="127.0.0.1:${PORT}" \
  HERALD_ALLOWED_ORIGINS="http://127.0.0.1:${ARTICLE_PORT}" \
  HERALD_BASE_URL="http://127.0.0.1:${PORT}" \
  HERALD_DATABASE_URL="sqlite://${WORK}/herald.db" \
  HERALD_SMTP_URL="$SMTP_URL" \
  HERALD_OUTBOX_DIR="${WORK}/outbox" \
  HERALD_SIGNUP_RATE=0 \
  HERALD_WORKER_POLL=100ms \
  HERALD_SEND_RATE=3
# Postmark's webhook credentials: console.mjs reports a bounce through it.
WEBHOOK_USER="postmark-e2e"
WEBHOOK_PASSWORD="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export HERALD_WEBHOOK_USER="$WEBHOOK_USER" HERALD_WEBHOOK_PASSWORD="$WEBHOOK_PASSWORD"
unset HERALD_ADMIN_TOKEN

ADMIN_EMAIL="admin-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')@herald.test"
ADMIN_PASSWORD="e2e-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$ADMIN_PASSWORD" | "$HERALD" admin add "$ADMIN_EMAIL"

"$HERALD" serve >"$WORK/herald.log" 2>&1 &
HERALD_PID=$!
for _ in $(seq 1 60); do
  curl -fs -o /dev/null "http://127.0.0.1:${PORT}/health" && break
  if ! kill -0 "$HERALD_PID" 2>/dev/null; then
    cat "$WORK/herald.log" >&2
    echo "e2e: herald exited during startup" >&2
    exit 1
  fi
  sleep 0.5
done

status=0
export HERALD_URL="http://127.0.0.1:${PORT}" MAILDEV_URL="$MAILDEV_URL" \
  ADMIN_EMAIL="$ADMIN_EMAIL" ADMIN_PASSWORD="$ADMIN_PASSWORD" \
  SCREENSHOTS="$E2E_DIR/screenshots" ARTICLE_PORT OTHER_PORT \
  WEBHOOK_USER WEBHOOK_PASSWORD
for t in ${E2E_TESTS:-console embed}; do
  node "$E2E_DIR/$t.mjs" || status=$?
done
if [ "$status" -ne 0 ]; then
  echo "e2e: herald's log:" >&2
  grep -v "^admin token" "$WORK/herald.log" | tail -n 50 >&2
fi
exit "$status"
