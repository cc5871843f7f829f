#!/usr/bin/env bash
# Fan-out benchmark: how fast Herald sends one digest to every confirmed
# subscriber, beside postfix's smtp-source pushing the same number of
# same-sized messages into the same smtp-sink in the same run.
#
#   bash bench/fanout.sh           # 100,000 subscribers
#   bash bench/fanout.sh --quick   # 5,000 subscribers
#
# It builds the release binary, installs postfix's smtp-sink and smtp-source
# when missing (Debian package `postfix`, installed unconfigured and never
# started: nothing listens on port 25 afterwards), and renders one digest of
# a few feed items into an outbox to learn the message's size and content.
# Then, for each database (SQLite always; PostgreSQL when
# `pg_isready -h 127.0.0.1` answers) it starts smtp-sink on a free loopback
# port, times smtp-source sending N copies of that digest into it with 32
# sessions (one connection per session, kept open like Herald's pool), then
# starts a fresh release `herald serve` on a fresh database pointed at the
# same sink, imports N confirmed subscribers, posts the same feed items, and
# times `POST …/digests` until the digest's status is `sent`. It prints
# messages/s for both, their ratio, Herald's CPU use during the send and its
# peak RSS (VmHWM). Everything it starts or creates is removed on exit.
#
# Environment: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432),
# the server to create the throw-away PostgreSQL databases on;
# BENCH_SMTP_POOL (default 128), Herald's HERALD_SMTP_POOL (its worker also
# claims twice that many messages per round trip, and on this build the
# claims are what limits the send: 128 beat 8, 32 and 64, and 256 added
# little but memory);
# BENCH_SESSIONS (default 32), smtp-source's parallel sessions;
# BENCH_N, to override the number of subscribers; BENCH_DATABASES
# ("sqlite", "postgres" or both, the default), which databases to run.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd)"

N=100000
if [ "${1:-}" = "--quick" ]; then
  N=5000
elif [ -n "${1:-}" ]; then
  echo "usage: bash bench/fanout.sh [--quick]" >&2
  exit 2
fi
N="${BENCH_N:-$N}"
POOL="${BENCH_SMTP_POOL:-128}"
SESSIONS="${BENCH_SESSIONS:-32}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
ITEMS=5

WORK="$(mktemp -d -t herald-fanout.XXXXXX)"
SERVER_PID=""
SINK_PID=""
PG_DBS=()
POLICY_RC=""

stop_pid() {
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}
stop_server() { stop_pid "$SERVER_PID"; SERVER_PID=""; }
stop_sink() { stop_pid "$SINK_PID"; SINK_PID=""; }

cleanup() {
  stop_server
  stop_sink
  if [ -n "$POLICY_RC" ]; then rm -f "$POLICY_RC"; fi
  for db in ${PG_DBS[@]+"${PG_DBS[@]}"}; do
    psql -q -w "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --------------------------------------------------------------------------
# smtp-sink and smtp-source (Debian: /usr/sbin, in the postfix package)
# --------------------------------------------------------------------------
export PATH="$PATH:/usr/sbin:/sbin"
listening_on_25() { ss -Hltn 2>/dev/null | awk '$4 ~ /:25$/ { found = 1 } END { exit !found }'; }

if ! command -v smtp-sink >/dev/null 2>&1 || ! command -v smtp-source >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "bench: smtp-sink and smtp-source are missing; install postfix (as root: apt-get install postfix)" >&2
    exit 1
  fi
  echo "bench: installing postfix for smtp-sink and smtp-source" >&2
  had_25=0
  if listening_on_25; then had_25=1; fi
  export DEBIAN_FRONTEND=noninteractive
  # Unconfigured ("No configuration": no main.cf, so no mail system), and
  # no service started by the install (policy-rc.d 101 = "don't start").
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    POLICY_RC=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC"
    chmod +x "$POLICY_RC"
  fi
  if ! apt-cache show postfix >/dev/null 2>&1; then
    apt-get update -qq
  fi
  apt-get install -y -qq --no-install-recommends postfix >"$WORK/apt.log" 2>&1 ||
    { cat "$WORK/apt.log" >&2; exit 1; }
  if [ -n "$POLICY_RC" ]; then rm -f "$POLICY_RC"; POLICY_RC=""; fi
  # Keep it from starting at boot too, and stop it if it started anyway.
  if command -v systemctl >/dev/null 2>&1; then
    systemctl disable postfix.service >/dev/null 2>&1 || true
  fi
  if [ "$had_25" = 0 ] && listening_on_25; then
    postfix stop >/dev/null 2>&1 || service postfix stop >/dev/null 2>&1 || true
  fi
  command -v smtp-sink >/dev/null 2>&1 && command -v smtp-source >/dev/null 2>&1 ||
    { echo "bench: postfix installed but smtp-sink/smtp-source not found" >&2; exit 1; }
fi

echo "bench: building release" >&2
cargo build --release --quiet
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/herald"

# shellcheck source=bench/free_port.sh
. "$ROOT/bench/free_port.sh"

wait_port() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: nothing listens on 127.0.0.1:$port" >&2
  cat "$log" >&2
  exit 1
}

kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
# CPU time (user + system, all threads) of a process, in clock ticks.
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
HZ="$(getconf CLK_TCK)"
now() { date +%s.%N; }

TOKEN="bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
BACKENDS=(sqlite)
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 >/dev/null 2>&1; then
  BACKENDS+=(postgres)
else
  echo "bench: no PostgreSQL on 127.0.0.1; SQLite only" >&2
fi
if [ -n "${BENCH_DATABASES:-}" ]; then
  wanted=()
  for b in "${BACKENDS[@]}"; do
    case " $BENCH_DATABASES " in *" $b "*) wanted+=("$b") ;; esac
  done
  BACKENDS=(${wanted[@]+"${wanted[@]}"})
  [ "${#BACKENDS[@]}" -gt 0 ] || { echo "bench: nothing to run for BENCH_DATABASES=$BENCH_DATABASES" >&2; exit 2; }
fi

# start_herald DIR URL [ENV=VALUE…]: a fresh `herald serve` on a free port,
# run from its own folder so no herald.toml of the caller's is read. Sets
# BASE.
start_herald() {
  local dir=$1 url=$2 port
  shift 2
  port="$(free_port)"
  (
    cd "$dir"
    exec env HERALD_DATABASE_URL="$url" HERALD_LISTEN="127.0.0.1:$port" \
      HERALD_BASE_URL="http://127.0.0.1:$port" HERALD_ADMIN_TOKEN="$TOKEN" \
      HERALD_OUTBOX_DIR="$dir/outbox" HERALD_SMTP_URL= HERALD_SIGNUP_RATE=0 \
      RUST_LOG=warn "$@" "$BIN" serve
  ) >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "$BASE/health" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: herald did not answer /health" >&2
  exit 1
}

api() { curl -fsS -H "Authorization: Bearer $TOKEN" "$@"; }

# The newsletter and the feed items the digest is made of: a realistic few.
setup_newsletter() {
  api -o /dev/null -H 'Content-Type: application/json' \
    -d '{"slug":"daily","name":"Daily briefing","from_name":"Daily Briefing","from_address":"news@bench.example.com"}' \
    "$BASE/api/admin/newsletters"
  local i
  for i in $(seq 1 "$ITEMS"); do
    api -o /dev/null -H 'Content-Type: application/json' -d "{
      \"title\": \"Story $i: the council votes on the new budget after a long night of debate\",
      \"url\": \"https://news.example.com/2026/11/25/story-$i-council-votes-on-the-new-budget\",
      \"summary\": \"Councillors argued until the early hours over school funding, road repairs and the library's opening hours. The final vote was closer than expected, and the opposition says it will bring the question back next month. Here is what changes for residents, and when.\"
    }" "$BASE/api/admin/feed-items"
  done
}

# send_digest: POST the digest, print its id.
send_digest() {
  local answer
  answer="$(api -H 'Content-Type: application/json' -d '{}' \
    "$BASE/api/admin/newsletters/daily/digests")"
  echo "$answer" | sed -n 's/^.*"id":\([0-9][0-9]*\).*$/\1/p'
}

field() { sed -n "s/^.*\"$1\":\(\"[a-z]*\"\|[0-9]*\).*\$/\1/p" | tr -d '"'; }

# wait_sent ID TIMEOUT_S OUT: polls the digest until it is `sent`, then
# writes its JSON to OUT. (Not in a $(…): a signal is handled between the
# polls, not after the whole send.)
# Its `finished_at` says when it ended, so the polls can be sparse: each one
# counts the digest's messages by status, work the database would otherwise
# spend on the send.
wait_sent() {
  local id=$1 limit=$2 out=$3 started answer status last=0 polls=0
  started="$(now)"
  while :; do
    answer="$(api "$BASE/api/admin/digests/$id")"
    status="$(echo "$answer" | field status)"
    if [ "$status" = sent ]; then
      echo "$answer" >"$out"
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "bench: herald died" >&2; exit 1; }
    local elapsed
    elapsed="$(awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%d", b - a }')"
    if [ "$elapsed" -ge "$limit" ]; then
      echo "bench: digest $id not sent after ${limit}s: $answer" >&2
      exit 1
    fi
    if [ "$elapsed" -ge $((last + 15)) ]; then
      last=$elapsed
      echo "bench:   ${elapsed}s: sent $(echo "$answer" | field sent), pending $(echo "$answer" | field pending)" >&2
    fi
    polls=$((polls + 1))
    if [ "$polls" -lt 20 ]; then sleep 0.1; else sleep 1; fi
  done
}

# --------------------------------------------------------------------------
# One digest into an outbox: its size, and its text for smtp-source.
# --------------------------------------------------------------------------
echo "bench: rendering one digest to measure it" >&2
mkdir -p "$WORK/probe"
start_herald "$WORK/probe" "sqlite://$WORK/probe/herald.db"
setup_newsletter
api -o /dev/null -H 'Content-Type: application/json' \
  -d '{"email":"reader12345@bench.example.com","status":"confirmed","consent":"bench"}' \
  "$BASE/api/admin/newsletters/daily/subscribers"
wait_sent "$(send_digest)" 60 "$WORK/probe/digest.json"
EML="$(find "$WORK/probe/outbox" -name '*.eml' | head -1)"
[ -n "$EML" ] || { echo "bench: the probe digest left no .eml" >&2; exit 1; }
SIZE="$(wc -c <"$EML")"
# smtp-source -F appends CRLF to each line itself.
tr -d '\r' <"$EML" >"$WORK/digest.txt"
stop_server
echo "bench: a digest of $ITEMS items is $SIZE bytes" >&2

RESULTS="$WORK/results"
: >"$RESULTS"

# run BACKEND: one sink, smtp-source into it, then a fresh Herald into it.
run() {
  local backend=$1 url dir
  dir="$WORK/$backend"
  mkdir -p "$dir"

  local sink_port
  sink_port="$(free_port)"
  local sink_user=()
  if [ "$(id -u)" = 0 ]; then sink_user=(-u nobody); fi
  # Accept and discard; up to 1,024 connections at once.
  smtp-sink ${sink_user[@]+"${sink_user[@]}"} -m 1024 "127.0.0.1:$sink_port" 1024 \
    >"$dir/sink.log" 2>&1 &
  SINK_PID=$!
  wait_port "$sink_port" "$SINK_PID" "$dir/sink.log"

  # smtp-source: N messages over SESSIONS connections, each kept open.
  echo "bench: $backend: smtp-source, $N messages, $SESSIONS sessions" >&2
  local s_start s_end
  s_start="$(now)"
  smtp-source -d -s "$SESSIONS" -m "$N" -F "$WORK/digest.txt" -M bench.example.com \
    -f news@bench.example.com -t reader@bench.example.com "127.0.0.1:$sink_port" \
    >"$dir/source.log" 2>&1 || { cat "$dir/source.log" >&2; exit 1; }
  s_end="$(now)"

  if [ "$backend" = sqlite ]; then
    url="sqlite://$dir/herald.db"
  else
    local db="herald_fanout_${N}_$RANDOM$RANDOM"
    psql -q -w "$PG_URL/postgres" -c "CREATE DATABASE $db" >/dev/null
    PG_DBS+=("$db")
    url="$PG_URL/$db"
  fi
  start_herald "$dir" "$url" HERALD_SMTP_URL="smtp://127.0.0.1:$sink_port" \
    HERALD_SMTP_POOL="$POOL"
  setup_newsletter
  echo "bench: $backend: importing $N confirmed subscribers" >&2
  awk -v n="$N" 'BEGIN {
    print "email,name"
    for (i = 0; i < n; i++) printf "reader%d@bench.example.com,Reader %d\n", i, i
  }' | api -o "$dir/import.json" -H 'Content-Type: text/csv' --data-binary @- \
    "$BASE/api/admin/newsletters/daily/subscribers/import?confirmed=true&consent=bench"
  grep -q "\"imported\":$N," "$dir/import.json" ||
    { echo "bench: import: $(head -c 300 "$dir/import.json")" >&2; exit 1; }

  echo "bench: $backend: Herald, a digest to $N subscribers, pool $POOL" >&2
  local h_start h_end c_start c_end id answer
  c_start="$(ticks "$SERVER_PID")"
  h_start="$(now)"
  id="$(send_digest)"
  [ -n "$id" ] || { echo "bench: no digest id" >&2; exit 1; }
  # Give up at 50 messages/s: something is wrong.
  wait_sent "$id" $((60 + N / 50)) "$dir/digest.json"
  answer="$(cat "$dir/digest.json")"
  c_end="$(ticks "$SERVER_PID")"
  # When the last message was recorded (same clock: same machine).
  local finished
  finished="$(echo "$answer" | sed -n 's/^.*"finished_at":"\([^"]*\)".*$/\1/p')"
  [ -n "$finished" ] || { echo "bench: no finished_at in $answer" >&2; exit 1; }
  h_end="$(date -d "$finished" +%s.%N)"
  local sent failed
  sent="$(echo "$answer" | field sent)"
  failed="$(echo "$answer" | field failed)"
  if [ "$sent" != "$N" ] || [ "$failed" != 0 ]; then
    echo "bench: $backend: digest ended with $answer" >&2
    exit 1
  fi
  echo "$backend $N $SIZE $s_start $s_end $h_start $h_end $((c_end - c_start)) $(kib "$SERVER_PID")" >>"$RESULTS"
  stop_server
  stop_sink
}

for backend in "${BACKENDS[@]}"; do
  run "$backend"
done

echo
echo "digest: $ITEMS items, $SIZE bytes; smtp-source: $SESSIONS sessions; Herald: HERALD_SMTP_POOL=$POOL"
# Herald's time runs from the POST to the digest's `finished_at`; Herald CPU
# is its CPU time over that (100 % = one core); peak RSS is its VmHWM at the
# end.
awk -v hz="$HZ" 'BEGIN { printf "%-10s %8s %10s %10s %9s %10s %7s %10s %11s\n", "database", "N", "source s", "source/s", "herald s", "herald/s", "ratio", "herald CPU", "herald RSS" }
     { s = $5 - $4; h = $7 - $6
       printf "%-10s %8d %10.2f %10.0f %9.2f %10.0f %6.1f%% %9.0f%% %8.1f M\n", $1, $2, s, $2 / s, h, $2 / h, 100 * s / h, 100 * $8 / hz / h, $9 / 1024 }' "$RESULTS"
