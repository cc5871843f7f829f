# Sourced by the benchmarks: free_port prints a loopback port nobody uses.
#
# Nothing may listen on it (bash's /dev/tcp connect fails on a free one) and
# no socket may hold it (ss): a benchmark's tens of thousands of client
# connections leave their ports in TIME_WAIT, and a listener can't bind to
# one of those. It is picked below the ephemeral range, where client ports
# come from, for the same reason.
EPHEMERAL_LOW="$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
[ "$EPHEMERAL_LOW" -gt 12000 ] || EPHEMERAL_LOW=32768
free_port() {
  local port
  while :; do
    port=$((10000 + RANDOM % (EPHEMERAL_LOW - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null &&
      { ! command -v ss >/dev/null 2>&1 || [ -z "$(ss -Htan "( sport = :$port )")" ]; }; then
      echo "$port"
      return
    fi
  done
}
