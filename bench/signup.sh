#!/usr/bin/env bash
# Signup benchmark: how many JSON signups per second `herald serve` takes,
# and how close that comes to PostgreSQL running Herald's own signup SQL.
#
#   bash bench/signup.sh           # 20 s of load per measurement
#   bash bench/signup.sh --quick   # 3 s
#
# It installs wrk (and pgbench, when a PostgreSQL answers) if missing, builds
# the release binary, and for SQLite (always) and PostgreSQL (when
# `pg_isready -h 127.0.0.1` answers) starts a fresh `herald serve` on a free
# loopback port with a fresh database, the signup rate limit off and the
# confirmation emails written to a scratch outbox folder by the server's own
# delivery worker. wrk (2 threads, 32 connections, bench/signup.lua) then
# POSTs `{"email": <an address never used before>, "newsletter": "daily"}`
# for a short warm-up and then for the measured duration. On PostgreSQL the
# warm-up is followed by ANALYZE and CHECKPOINT, for Herald and pgbench alike.
#
# Beside it, in the same run, pgbench (-j 2, -c 32, same duration, prepared
# statements like sqlx) runs the statements of one signup's transaction as
# Herald writes a signup on its own (`Store::signup_batch` in
# src/store/signups.rs with a batch of one: subscriber upsert, subscription
# upsert, consent log, pending names, token, queued message, subscriber
# update), one transaction per signup, against a scratch
# database that `herald migrate` created, with the message bodies of a real
# confirmation email rendered by Herald. That is the ceiling Herald's
# PostgreSQL figure is compared with; the issue's targets are Herald at least
# 80 % of it, and SQLite at least 2x PostgreSQL.
#
# It waits while another benchmark (herald, wrk, pgbench, smtp-sink or
# smtp-source) runs, so the figures aren't skewed. Everything it starts or
# creates is removed on exit; a non-2xx answer or a failed pgbench
# transaction is an error. Below the table it prints where the CPU went:
# Herald's process and its PostgreSQL connections per request, pgbench's
# backends per transaction, and how busy the machine was.
#
# Environment: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432),
# the server to create the throw-away PostgreSQL databases on;
# BENCH_WORKERS, HERALD_WORKERS for the measured servers (default: Herald's
# own, one delivery worker; 0 measures the HTTP path alone).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd)"

DURATION=20
WARMUP=2
if [ "${1:-}" = "--quick" ]; then
  DURATION=3
  WARMUP=1
elif [ -n "${1:-}" ]; then
  echo "usage: bash bench/signup.sh [--quick]" >&2
  exit 2
fi
THREADS=2
CONNECTIONS=32
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
export DEBIAN_FRONTEND=noninteractive

log() { echo "bench: $*" >&2; }

# --------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------
pg_up() {
  command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 >/dev/null 2>&1
}

missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
# /usr/bin/pgbench is a wrapper (postgresql-client-common) that fails when
# the real binary is absent; Debian 12 ships that in postgresql-contrib.
if pg_up && ! pgbench --version >/dev/null 2>&1; then
  missing+=(postgresql-contrib)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

log "building release"
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/herald"

# --------------------------------------------------------------------------
# Scratch space and cleanup
# --------------------------------------------------------------------------
WORK="$(mktemp -d -t herald-bench-signup.XXXXXX)"
SERVER_PID=""
LOAD_PID=""
PG_DBS=()

stop() {
  local pid=$1
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}

cleanup() {
  stop "$LOAD_PID"
  LOAD_PID=""
  stop "$SERVER_PID"
  SERVER_PID=""
  for db in ${PG_DBS[@]+"${PG_DBS[@]}"}; do
    psql -q -w "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
# shellcheck source=bench/free_port.sh
. "$ROOT/bench/free_port.sh"

# Waits while another benchmark's load runs (ours are all stopped here).
wait_quiet() {
  local busy waited=0
  while :; do
    busy=""
    for name in herald wrk pgbench smtp-sink smtp-source; do
      busy+="$(pgrep -x "$name" | tr '\n' ' ' || true)"
    done
    [ -z "$busy" ] && return
    if [ "$waited" -eq 0 ]; then
      log "another benchmark is running (pids $busy); waiting for it to finish"
    fi
    waited=$((waited + 5))
    if [ "$waited" -ge 3600 ]; then
      log "still busy after an hour; giving up"
      exit 1
    fi
    sleep 5
  done
}

# utime + stime of the given processes, in clock ticks.
cpu_ticks() {
  local pid total=0 t
  for pid in "$@"; do
    # Fields after the ")" that closes the command name: 12 and 13 are
    # utime and stime.
    t="$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }')" || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

# cutime + cstime of a process: the CPU time of its reaped children.
children_ticks() {
  if [ -z "$1" ]; then echo 0; return; fi
  sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $14 + $15 }' || echo 0
}

# Before a measurement on PostgreSQL: statistics for the planner (a new
# database has none until autovacuum's first ANALYZE, a minute or more
# later, and meanwhile plans differ from a live system's) and a checkpoint,
# so the one that follows the warm-up doesn't land in the measurement.
settle() {
  psql -q -w "$1" -c ANALYZE >/dev/null
  psql -q -w "$PG_URL/postgres" -c CHECKPOINT >/dev/null
}

# Busy and total jiffies of the whole machine.
machine_ticks() {
  awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

TICK="$(getconf CLK_TCK)"
TOKEN="bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
RUN="b$(date +%s)$RANDOM"

# Starts `herald serve` on DATABASE_URL in DIR (its own folder, so no
# herald.toml of the caller's is read), with the newsletter "daily".
# Sets SERVER_PID and BASE.
start_server() {
  local url=$1 dir=$2 workers=${3:-} port
  mkdir -p "$dir/outbox"
  port="$(free_port)"
  BASE="http://127.0.0.1:$port"
  local env=(env HERALD_DATABASE_URL="$url" HERALD_LISTEN="127.0.0.1:$port"
    HERALD_BASE_URL="$BASE" HERALD_ADMIN_TOKEN="$TOKEN" HERALD_SIGNUP_RATE=0
    HERALD_OUTBOX_DIR="$dir/outbox" HERALD_SMTP_URL= RUST_LOG=warn)
  if [ -n "$workers" ]; then env+=(HERALD_WORKERS="$workers"); fi
  (cd "$dir" && "${env[@]}" "$BIN" migrate) >"$dir/migrate.log" 2>&1 ||
    { cat "$dir/migrate.log" >&2; exit 1; }
  (cd "$dir" && "${env[@]}" "$BIN" newsletter add daily --name Daily) >"$dir/newsletter.log" 2>&1 ||
    { cat "$dir/newsletter.log" >&2; exit 1; }
  (cd "$dir" && exec "${env[@]}" "$BIN" serve) >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "$BASE/health" && return
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    sleep 0.1
  done
  log "the server did not answer on $BASE"
  cat "$dir/server.log" >&2
  exit 1
}

# wrk against $BASE for SECONDS; prints its BENCH line (see signup.lua).
run_wrk() {
  local seconds=$1 out=$2
  BENCH_RUN="$RUN$(basename "$out" .txt)" BENCH_NEWSLETTER=daily \
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${seconds}s" --timeout 10s \
    -s "$ROOT/bench/signup.lua" "$BASE/subscriptions" >"$out" 2>&1 &
  LOAD_PID=$!
  wait "$LOAD_PID" || { LOAD_PID=""; cat "$out" >&2; log "wrk failed"; exit 1; }
  LOAD_PID=""
  grep '^BENCH ' "$out" || { cat "$out" >&2; log "wrk printed no summary"; exit 1; }
}

# field NAME LINE: the value of NAME=… in a BENCH line.
field() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k { print $2 }'; }

# new_pg_db KIND: creates a database, named in DB (not in a subshell, so
# that cleanup knows it).
new_pg_db() {
  DB="herald_bench_$1_$RANDOM$RANDOM"
  PG_DBS+=("$DB")
  psql -q -w "$PG_URL/postgres" -c "CREATE DATABASE $DB" >/dev/null
}

RESULTS="$WORK/results"
: >"$RESULTS"

# bench_herald BACKEND: one fresh server and database, warm-up, measurement.
bench_herald() {
  local backend=$1 dir="$WORK/$1" url db=""
  mkdir -p "$dir"
  if [ "$backend" = sqlite ]; then
    url="sqlite://$dir/herald.db"
  else
    new_pg_db herald
    db="$DB"
    url="$PG_URL/$db"
  fi
  wait_quiet
  start_server "$url" "$dir" "${BENCH_WORKERS:-}"
  log "$backend: warm-up ${WARMUP} s"
  local warm
  warm="$(run_wrk "$WARMUP" "$dir/warmup.txt")"
  if [ -n "$db" ]; then
    settle "$url"
  fi
  # CPU accounting: the server, its PostgreSQL connections, the machine.
  local backends=() h0 b0 m0 line h1 b1 m1
  if [ -n "$db" ]; then
    mapfile -t backends < <(pgrep -f "^postgres: .* $db " || true)
  fi
  h0="$(cpu_ticks "$SERVER_PID")"
  b0="$(cpu_ticks ${backends[@]+"${backends[@]}"})"
  m0="$(machine_ticks)"
  log "$backend: measuring ${DURATION} s (wrk -t $THREADS -c $CONNECTIONS)"
  line="$(run_wrk "$DURATION" "$dir/wrk.txt")"
  h1="$(cpu_ticks "$SERVER_PID")"
  b1="$(cpu_ticks ${backends[@]+"${backends[@]}"})"
  m1="$(machine_ticks)"
  # Every accepted signup queued one confirmation email: the queue (every
  # status) holds at least as many as wrk saw answered, warm-up included.
  local queued sent
  read -r queued sent < <(curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/metrics" |
    awk '/^herald_queue_depth\{/ { s += $2 } /^herald_queue_depth\{status="sent"\}/ { d = $2 }
         END { printf "%d %d\n", s, d }')
  [ -n "${queued:-}" ] || { log "$backend: /metrics did not answer"; exit 1; }
  stop "$SERVER_PID"
  SERVER_PID=""

  local requests non2xx errors
  requests="$(field requests "$line")"
  non2xx="$(field non2xx "$line")"
  errors=$(($(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field timeout "$line")))
  log "$backend: $requests requests, $non2xx non-2xx, $errors socket errors, $queued emails queued ($sent of them written out by the delivery worker)"
  if [ "$non2xx" != 0 ] || [ "$errors" != 0 ]; then
    log "$backend: every signup must be answered 202; the server's log ends:"
    tail -n 20 "$dir/server.log" >&2
    exit 1
  fi
  if [ "$queued" -lt $((requests + $(field requests "$warm"))) ]; then
    log "$backend: only $queued emails queued for $requests + $(field requests "$warm") signups"
    exit 1
  fi
  # backend requests seconds p50 p99 herald-cpu-s pg-backend-cpu-s machine-busy%
  awk -v b="$backend" -v n="$requests" -v us="$(field duration_us "$line")" \
    -v p50="$(field p50_us "$line")" -v p99="$(field p99_us "$line")" \
    -v h="$((h1 - h0))" -v pb="$((b1 - b0))" -v tick="$TICK" \
    -v mb="$(($(cut -d' ' -f1 <<<"$m1") - $(cut -d' ' -f1 <<<"$m0")))" \
    -v mt="$(($(cut -d' ' -f2 <<<"$m1") - $(cut -d' ' -f2 <<<"$m0")))" \
    'BEGIN { printf "%s %d %.3f %d %d %.2f %.2f %.1f\n", b, n, us / 1e6, p50, p99, h / tick, pb / tick, 100 * mb / mt }' \
    >>"$RESULTS"
}

# bench_pgbench: Herald's signup transaction, straight from pgbench.
PGBENCH_TPS=""
bench_pgbench() {
  local dir="$WORK/pgbench" db url
  mkdir -p "$dir"
  new_pg_db pgbench
  db="$DB"
  url="$PG_URL/$db"
  wait_quiet
  # The schema from `herald migrate`, the newsletter, and one real signup
  # (no delivery worker, so the message keeps its bodies) whose confirmation
  # email gives pgbench realistic parameter values.
  start_server "$url" "$dir" 0
  curl -fsS -o /dev/null -H 'Content-Type: application/json' -H 'User-Agent: herald-bench/wrk' \
    -d '{"email":"sample@bench.example","newsletter":"daily"}' "$BASE/subscriptions"
  stop "$SERVER_PID"
  SERVER_PID=""
  local q=(psql -X -q -w -At "$url" -c)
  local newsletter_id subject body_text body_html
  newsletter_id="$("${q[@]}" "SELECT id FROM newsletters WHERE slug = 'daily'")"
  subject="$("${q[@]}" "SELECT subject FROM messages")"
  body_text="$("${q[@]}" "SELECT body_text FROM messages")"
  body_html="$("${q[@]}" "SELECT body_html FROM messages")"
  [ -n "$body_html" ] || { log "no sample confirmation email in $db"; exit 1; }

  # The statements of Store::signup_batch (src/store/signups.rs, and
  # insert_messages in src/store/queue.rs) for a batch of one new address,
  # word for word; pgbench can't bind NULL (name, note,
  # sender, reply_to are NULL literals) and builds the unique strings with ||.
  # :n counts each client's transactions, so every address, token and
  # Message-ID is new; :r puts token hashes and Message-IDs at random places
  # in their indexes, as random ones are.
  local email=":run || '-' || :client_id || '-' || :n || '@bench.example'"
  cat >"$dir/signup.sql" <<SQL
\\set n :n + 1
\\set r random(1000000000, 2147483647)
BEGIN;
INSERT INTO subscribers (email, name, created_at) VALUES ($email, NULL, :now) ON CONFLICT (email) DO UPDATE SET name = COALESCE(subscribers.name, excluded.name) RETURNING email, id, confirm_sent_at \\gset
INSERT INTO subscriptions (subscriber_id, newsletter_id, status, created_at, updated_at) VALUES (:id, :newsletter_id, 'pending', :now, :now) ON CONFLICT (subscriber_id, newsletter_id) DO UPDATE SET status = CASE WHEN subscriptions.status = 'unsubscribed' THEN 'pending' ELSE subscriptions.status END, updated_at = excluded.updated_at RETURNING subscriber_id, newsletter_id, status;
INSERT INTO consent_log (subscriber_id, newsletter_id, action, at, ip, user_agent, form, note) VALUES (:id, :newsletter_id, 'requested', :now, :ip, :user_agent, :form, NULL);
SELECT s.subscriber_id, s.status, n.name FROM subscriptions s JOIN newsletters n ON n.id = s.newsletter_id WHERE n.archived_at IS NULL AND s.subscriber_id IN (:id) ORDER BY s.subscriber_id, n.id;
INSERT INTO tokens (token_hash, purpose, subscriber_id, created_at, expires_at) VALUES (:r || :hex || :client_id || 'x' || :n, 'confirm', :id, :now, :expires);
INSERT INTO messages (kind, subscriber_id, recipient, message_id, subject, body_text, body_html, sender, reply_to, status, next_attempt_at, created_at) VALUES (:kind, :id, $email, '<' || :r || :client_id || 'x' || :n || '@localhost>', :subject, :body_text, :body_html, NULL, NULL, 'queued', :now, :now);
UPDATE subscribers SET confirm_sent_at = :now WHERE id IN (:id);
COMMIT;
SQL
  local now expires
  now="$(date -u '+%Y-%m-%d %H:%M:%S.%6N+00')"
  expires="$(date -u -d '+48 hours' '+%Y-%m-%d %H:%M:%S.%6N+00')"
  local args=(-n -M prepared -j "$THREADS" -c "$CONNECTIONS" -f "$dir/signup.sql"
    -D n=0 -D "newsletter_id=$newsletter_id" -D "now=$now" -D "expires=$expires"
    -D ip=127.0.0.1 -D user_agent=herald-bench/wrk -D form=json
    -D kind=confirm -D hex=5f0c2a9d3e7b41c8a6d2e9f0b3c4d5e6f7a8b9c0d1e2f3a4b5c6
    -D "subject=$subject" -D "body_text=$body_text" -D "body_html=$body_html")
  log "pgbench: warm-up ${WARMUP} s"
  pgbench "${args[@]}" -D "run=${RUN}warmup" -T "$WARMUP" "$url" >"$dir/warmup.txt" 2>&1 &
  LOAD_PID=$!
  wait "$LOAD_PID" || { LOAD_PID=""; cat "$dir/warmup.txt" >&2; log "pgbench failed"; exit 1; }
  LOAD_PID=""
  settle "$url"
  local m0 m1 pm pm0 pm1
  # pgbench's backends exit when it does and the postmaster adds their CPU
  # time to its children's (cutime + cstime).
  pm="$(pgrep -o -x postgres || true)"
  pm0="$(children_ticks "$pm")"
  m0="$(machine_ticks)"
  log "pgbench: measuring ${DURATION} s (pgbench -j $THREADS -c $CONNECTIONS -M prepared)"
  pgbench "${args[@]}" -D "run=${RUN}measure" -T "$DURATION" "$url" >"$dir/pgbench.txt" 2>&1 &
  LOAD_PID=$!
  wait "$LOAD_PID" || { LOAD_PID=""; cat "$dir/pgbench.txt" >&2; log "pgbench failed"; exit 1; }
  LOAD_PID=""
  m1="$(machine_ticks)"
  sleep 0.5
  pm1="$(children_ticks "$pm")"
  local failed
  failed="$(awk '/^number of failed transactions:/ { print $5 }' "$dir/pgbench.txt")"
  PGBENCH_TPS="$(awk '/^tps = / { print $3 }' "$dir/pgbench.txt")"
  PGBENCH_LAT="$(awk '/^latency average = / { print $4 }' "$dir/pgbench.txt")"
  if [ -z "$PGBENCH_TPS" ] || [ "${failed:-0}" != 0 ]; then
    cat "$dir/pgbench.txt" >&2
    log "pgbench: failed transactions"
    exit 1
  fi
  # The transactions really did what Herald's signups do: each one a new
  # subscriber with its subscription, consent record, token and email.
  local rows txns
  txns="$(awk '/^number of transactions actually processed:/ { print $6 }' "$dir/pgbench.txt")"
  rows="$("${q[@]}" "SELECT count(*) FROM subscribers s WHERE s.email LIKE '${RUN}measure-%'
    AND s.confirm_sent_at IS NOT NULL
    AND (SELECT count(*) FROM subscriptions WHERE subscriber_id = s.id AND status = 'pending') = 1
    AND (SELECT count(*) FROM consent_log WHERE subscriber_id = s.id) = 1
    AND (SELECT count(*) FROM tokens WHERE subscriber_id = s.id) = 1
    AND (SELECT count(*) FROM messages WHERE subscriber_id = s.id AND length(body_html) > 1000) = 1")"
  if [ "$rows" -lt "$txns" ]; then
    log "pgbench: $txns transactions but only $rows complete signups"
    exit 1
  fi
  if [ -n "$pm" ]; then
    PGBENCH_BACKEND_US="$(awk -v t="$((pm1 - pm0))" -v tick="$TICK" -v n="$txns" 'BEGIN { printf "%.0f", 1e6 * t / tick / n }')"
  fi
  PGBENCH_BUSY="$(awk -v a="$m0" -v b="$m1" 'BEGIN { split(a, x, " "); split(b, y, " ");
    printf "%.1f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }')"
  log "pgbench: $txns transactions, $rows complete signups in the database"
}

# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------
BACKENDS=(sqlite)
if pg_up; then
  BACKENDS+=(postgres)
else
  log "no PostgreSQL on 127.0.0.1; SQLite only"
fi
wait_quiet
load="$(cut -d' ' -f1 /proc/loadavg)"
if awk -v l="$load" 'BEGIN { exit !(l > 1.5) }'; then
  log "warning: load average $load before the run; other work on the machine skews the figures"
fi
for backend in "${BACKENDS[@]}"; do
  bench_herald "$backend"
done
if pg_up; then
  bench_pgbench
fi

echo
echo "signup: wrk -t $THREADS -c $CONNECTIONS -d ${DURATION}s, unique addresses; pgbench -j $THREADS -c $CONNECTIONS -T $DURATION -M prepared"
awk -v tps="${PGBENCH_TPS:-}" '
  { b[$1] = 1; rps[$1] = $2 / $3; p50[$1] = $4 / 1000; p99[$1] = $5 / 1000 }
  END {
    printf "%-10s %12s %9s %9s %14s %14s %16s\n", "backend", "Herald req/s", "p50", "p99", "pgbench TPS", "Herald/pgbench", "SQLite/PostgreSQL"
    if ("sqlite" in b) {
      ratio = ("postgres" in b) ? sprintf("%.2fx", rps["sqlite"] / rps["postgres"]) : "-"
      printf "%-10s %12.0f %6.2f ms %6.2f ms %14s %14s %16s\n", "SQLite", rps["sqlite"], p50["sqlite"], p99["sqlite"], "-", "-", ratio
    }
    if ("postgres" in b) {
      t = (tps != "") ? sprintf("%.0f", tps) : "-"
      r = (tps != "") ? sprintf("%.0f %%", 100 * rps["postgres"] / tps) : "-"
      printf "%-10s %12.0f %6.2f ms %6.2f ms %14s %14s %16s\n", "PostgreSQL", rps["postgres"], p50["postgres"], p99["postgres"], t, r, "-"
    }
  }' "$RESULTS"
echo
echo "non-2xx answers: 0 (every signup answered 202)"
echo "targets (issue 6): Herald/pgbench >= 80 %, SQLite/PostgreSQL >= 2x"
# Where the CPU went during each measurement (2 cores = 200 %).
awk -v tps="${PGBENCH_TPS:-}" -v busy="${PGBENCH_BUSY:-}" -v lat="${PGBENCH_LAT:-}" -v be="${PGBENCH_BACKEND_US:-}" '
  {
    n = $2; s = $3
    line = sprintf("cpu %-10s herald %4.0f us/req (%3.0f %% of a core)", $1 == "sqlite" ? "SQLite:" : "PostgreSQL:", 1e6 * $6 / n, 100 * $6 / s)
    if ($1 == "postgres") line = line sprintf(", its PostgreSQL backends %4.0f us/req", 1e6 * $7 / n)
    printf "%s, machine %.0f %% busy\n", line, $8
  }
  END {
    if (tps != "") {
      printf "cpu pgbench:    %s", be != "" ? sprintf("PostgreSQL backends %4s us/txn, ", be) : ""
      printf "%s ms average latency, machine %.0f %% busy\n", lat, busy
    }
  }' "$RESULTS"
