#!/usr/bin/env bash
# Import benchmark: how fast `POST …/subscribers/import` takes a large CSV,
# and whether the server's memory stays flat as the file grows.
#
#   bash bench/import.sh           # 100,000 and 1,000,000 rows
#   bash bench/import.sh --quick   # 10,000 and 100,000 rows
#
# For each file and each database (SQLite always; PostgreSQL when
# `pg_isready -h 127.0.0.1` answers) it starts a fresh release `herald serve`
# on a free loopback port with a fresh database, imports the file with curl
# (confirmed=true, so no mail is queued), exports it back, and reads the
# server's peak RSS (VmHWM) at start, after the import and after the export.
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
BIN="$ROOT/target/release/herald"

for n in "${SIZES[@]}"; do
  awk -v n="$n" 'BEGIN {
    print "email,name"
    for (i = 0; i < n; i++) printf "reader%d@bench.example.com,Reader %d\n", i, i
  }' >"$WORK/rows-$n.csv"
done

# A port nobody listens on (bash's /dev/tcp connect fails on a free one).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

TOKEN="bench-$RANDOM$RANDOM$RANDOM"
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

for backend in "${BACKENDS[@]}"; do
  for n in "${SIZES[@]}"; do
    echo "bench: $backend, $n rows" >&2
    run "$backend" "$n"
  done
done

echo
# Peak RSS is the server's VmHWM: at start, after the import, after the export.
awk 'BEGIN { printf "%-9s %9s %9s %8s %10s %10s %9s %10s\n", "database", "rows", "import s", "rows/s", "RSS start", "RSS import", "export s", "RSS export" }
     { s = $4 - $3; printf "%-9s %9d %9.2f %8.0f %8.1f M %8.1f M %9.2f %8.1f M\n", $1, $2, s, $2 / s, $5 / 1024, $6 / 1024, $8 - $7, $9 / 1024 }' "$RESULTS"
