#!/usr/bin/env bash
# Import benchmark: how fast `POST …/subscribers/import` takes a large CSV,
# beside PostgreSQL's own bulk load of the same file, and whether the
# server's memory stays flat as the file grows.
#
#   bash bench/import.sh           # 100,000 and 1,000,000 rows
#   bash bench/import.sh --quick   # 10,000 and 100,000 rows
#
# For each file and each database (SQLite always; PostgreSQL when
# `pg_isready -h 127.0.0.1` answers) it starts a fresh release `herald serve`
# on a free loopback port with a fresh database, imports the file with curl
# (confirmed=true, so no mail is queued), exports it back, and reads the
# server's peak RSS (VmHWM) at start, after the import and after the export.
#
# The baseline, once per file when PostgreSQL answers: in a throw-away
# database with Herald's schema (`herald migrate`) and the newsletter, psql
# `\copy`s the file into a fresh staging table and writes from it, with
# `INSERT … SELECT`, the rows a confirmed import writes: a subscriber, a
# confirmed subscription and a consent_log row per address. Both steps
# together, in one transaction, are timed; Herald's rate on either database
# is given as a share of that one.
# Everything it starts or creates is removed on exit.
#
# Environment: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432),
# the server to create the throw-away PostgreSQL databases on.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd)"

SIZES=(100000 1000000)
if [ "${1:-}" = "--quick" ]; then
  SIZES=(10000 100000)
elif [ -n "${1:-}" ]; then
  echo "usage: bash bench/import.sh [--quick]" >&2
  exit 2
fi
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"

WORK="$(mktemp -d -t herald-bench.XXXXXX)"
SERVER_PID=""
PG_DBS=()

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

cleanup() {
  stop_server
  for db in ${PG_DBS[@]+"${PG_DBS[@]}"}; do
    psql -q -w "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "bench: building release" >&2
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/herald"

for n in "${SIZES[@]}"; do
  awk -v n="$n" 'BEGIN {
    print "email,name"
    for (i = 0; i < n; i++) printf "reader%d@bench.example.com,Reader %d\n", i, i
  }' >"$WORK/rows-$n.csv"
done

# shellcheck source=bench/free_port.sh
. "$ROOT/bench/free_port.sh"

kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

TOKEN="bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
BACKENDS=(sqlite)
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 >/dev/null 2>&1; then
  BACKENDS+=(postgres)
else
  echo "bench: no PostgreSQL on 127.0.0.1; SQLite only" >&2
fi

RESULTS="$WORK/results"
: >"$RESULTS"

# run BACKEND ROWS: one fresh server and database, one import.
run() {
  local backend=$1 n=$2 url dir port
  dir="$WORK/$backend-$n"
  mkdir -p "$dir"
  if [ "$backend" = sqlite ]; then
    url="sqlite://$dir/herald.db"
  else
    local db="herald_bench_${n}_$RANDOM$RANDOM"
    psql -q -w "$PG_URL/postgres" -c "CREATE DATABASE $db" >/dev/null
    PG_DBS+=("$db")
    url="$PG_URL/$db"
  fi
  port="$(free_port)"
  # Run from its own folder, so no herald.toml of the caller's is read.
  (
    cd "$dir"
    exec env HERALD_DATABASE_URL="$url" HERALD_LISTEN="127.0.0.1:$port" \
      HERALD_BASE_URL="http://127.0.0.1:$port" HERALD_ADMIN_TOKEN="$TOKEN" \
      HERALD_OUTBOX_DIR="$dir/outbox" HERALD_SMTP_URL= RUST_LOG=warn \
      "$BIN" serve
  ) >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  local base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "$base/health" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    sleep 0.1
  done
  curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"slug":"bench","name":"Bench"}' "$base/api/admin/newsletters"
  local idle start end code
  idle="$(kib "$SERVER_PID")"
  start="$(date +%s.%N)"
  code="$(curl -sS -o "$dir/answer.json" -w '%{http_code}' \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/csv' \
    --data-binary "@$WORK/rows-$n.csv" \
    "$base/api/admin/newsletters/bench/subscribers/import?confirmed=true&consent=bench")"
  end="$(date +%s.%N)"
  if [ "$code" != 200 ] || ! grep -q "\"imported\":$n," "$dir/answer.json"; then
    echo "bench: $backend $n rows: HTTP $code $(head -c 300 "$dir/answer.json")" >&2
    exit 1
  fi
  local after_import exported estart eend
  after_import="$(kib "$SERVER_PID")"
  # The export streams the rows back, page by page.
  estart="$(date +%s.%N)"
  exported="$(curl -fsS -H "Authorization: Bearer $TOKEN" \
    "$base/api/admin/newsletters/bench/subscribers/export" | wc -l)"
  eend="$(date +%s.%N)"
  if [ "$exported" != $((n + 1)) ]; then
    echo "bench: $backend $n rows: the export had $exported lines" >&2
    exit 1
  fi
  echo "$backend $n $start $end $idle $after_import $estart $eend $(kib "$SERVER_PID")" >>"$RESULTS"
  stop_server
}

# copy ROWS: the baseline. A fresh database with Herald's schema and the
# newsletter; then, timed, `\copy` of the file into a staging table and
# `INSERT … SELECT` of the rows a confirmed import writes, in one
# transaction. (Every address is new, so no ON CONFLICT is needed, and
# every subscriber in the database is one of the file's.)
copy() {
  local n=$1 dir="$WORK/copy-$n" db="herald_copy_${n}_$RANDOM$RANDOM" url
  mkdir -p "$dir"
  psql -q -w "$PG_URL/postgres" -c "CREATE DATABASE $db" >/dev/null
  PG_DBS+=("$db")
  url="$PG_URL/$db"
  (cd "$dir" && env HERALD_DATABASE_URL="$url" HERALD_BASE_URL=http://127.0.0.1 \
    HERALD_SMTP_URL= RUST_LOG=warn "$BIN" migrate) >"$dir/migrate.log" 2>&1 ||
    { cat "$dir/migrate.log" >&2; exit 1; }
  psql -X -q -w -v ON_ERROR_STOP=1 "$url" >/dev/null <<'SQL'
INSERT INTO newsletters (slug, name, created_at) VALUES ('bench', 'Bench', now());
CREATE TABLE staging (email TEXT, name TEXT);
SQL
  local start end
  start="$(date +%s.%N)"
  psql -X -q -w -v ON_ERROR_STOP=1 "$url" >/dev/null <<SQL
BEGIN;
\copy staging (email, name) FROM '$WORK/rows-$n.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO subscribers (email, name, created_at)
  SELECT email, NULLIF(name, ''), now() FROM staging;
INSERT INTO subscriptions (subscriber_id, newsletter_id, status, created_at, updated_at, confirmed_at)
  SELECT sub.id, n.id, 'confirmed', now(), now(), now()
  FROM subscribers sub CROSS JOIN newsletters n WHERE n.slug = 'bench';
INSERT INTO consent_log (subscriber_id, newsletter_id, action, at, form, note)
  SELECT sub.id, n.id, 'confirmed', now(), 'import', 'bench'
  FROM subscribers sub CROSS JOIN newsletters n WHERE n.slug = 'bench';
COMMIT;
SQL
  end="$(date +%s.%N)"
  local counts
  counts="$(psql -X -q -w -At "$url" -c "SELECT (SELECT count(*) FROM subscriptions) || ' ' || (SELECT count(*) FROM consent_log)")"
  if [ "$counts" != "$n $n" ]; then
    echo "bench: \\copy $n rows: wrote $counts" >&2
    exit 1
  fi
  echo "$n $start $end" >>"$COPIES"
  psql -q -w "$PG_URL/postgres" -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
}

COPIES="$WORK/copies"
: >"$COPIES"
for n in "${SIZES[@]}"; do
  if [ "${BACKENDS[*]}" = "sqlite postgres" ]; then
    echo "bench: \\copy + INSERT … SELECT, $n rows" >&2
    copy "$n"
  fi
  for backend in "${BACKENDS[@]}"; do
    echo "bench: $backend, $n rows" >&2
    run "$backend" "$n"
  done
done

echo
# Peak RSS is the server's VmHWM: at start, after the import, after the
# export. "\copy" is the baseline's rows/s for the same file; "ratio" is
# Herald's rate over it.
awk 'FILENAME == ARGV[1] { copy[$1] = $1 / ($3 - $2); next }
     FNR == 1 { printf "%-9s %9s %9s %8s %8s %6s %10s %10s %9s %10s\n", "database", "rows", "import s", "rows/s", "\\copy/s", "ratio", "RSS start", "RSS import", "export s", "RSS export" }
     { s = $4 - $3; r = $2 / s
       c = ($2 in copy) ? sprintf("%8.0f", copy[$2]) : sprintf("%8s", "-")
       q = ($2 in copy) ? sprintf("%5.0f%%", 100 * r / copy[$2]) : sprintf("%6s", "-")
       printf "%-9s %9d %9.2f %8.0f %s %s %8.1f M %8.1f M %9.2f %8.1f M\n", $1, $2, s, r, c, q, $5 / 1024, $6 / 1024, $8 - $7, $9 / 1024 }' "$COPIES" "$RESULTS"
