#!/usr/bin/env bash
# Instructions per accepted webhook, counted by callgrind: repeatable on a
# shared machine, where wall-clock figures are not.
#
#   bench/ingress/callgrind.sh [--requests N] [--connections C] [--fsync BOOL]
#                              [--keep]
#
# Starts introvy (INTROVY_BIN or build/apps/introvy) under callgrind with the
# benchmark's configuration, sends 2,000 webhooks to warm up, zeroes the
# counters, sends N more (default 20,000) over C connections (default 16),
# and prints the instructions per request of the whole process (every
# thread) and the top functions. Avionté is unreachable here, as in run.sh:
# the figure is the ingress path plus the first, failing lookups, not
# decisions (bench/run-scenario.sh measures those).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
requests=20000
connections=16
fsync=true
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --fsync) fsync=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

bin=${INTROVY_BIN:-$root/build/apps/introvy}
work=$(mktemp -d "${TMPDIR:-/tmp}/introvy-callgrind.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  [ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/secret"
cat >"$work/introvy.toml" <<EOF
[log]
level = "warn"
[server]
listen = "127.0.0.1:$port"
public_url = "http://127.0.0.1:$port"
[storage]
path = "$work/data"
fsync = $fsync
[webhook]
auth = "shared-secret"
secrets = ["file:secret"]
[avionte]
base_url = "http://127.0.0.1:9"
[[tenant]]
front_office_tenant_id = 6
org = "bench-six"
tenant = "benchsix"
[[tenant]]
front_office_tenant_id = 7
org = "bench-seven"
tenant = "benchseven"
EOF

valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out.%p" \
  "$bin" serve --config "$work/introvy.toml" >"$work/introvy.log" 2>&1 &
pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 1 600); do
  curl -fs -o /dev/null --max-time 2 "$url/readyz" && break
  sleep 0.1
done

python3 "$here/fixed_load.py" "$url/api/webhooks/avionte" "$work/secret" \
  2000 "$connections" >/dev/null
callgrind_control -z "$pid" >/dev/null
python3 "$here/fixed_load.py" "$url/api/webhooks/avionte" "$work/secret" \
  "$requests" "$connections"
callgrind_control -d "$pid" >/dev/null
out=$(ls -t "$work"/callgrind.out.*.* 2>/dev/null | head -1)
total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
echo "instructions per request: $((total / requests)) ($total over $requests)"
callgrind_annotate --inclusive=no "$out" 2>/dev/null | sed -n '/file:function/,$p' | head -40
[ "$keep" = 0 ] || echo "kept $work ($out)"
