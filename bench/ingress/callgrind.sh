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
# shellcheck source=../lib.sh
. "$root/bench/lib.sh"
bench_script=callgrind.sh
started=()
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port=$(free_port)
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/secret"
ingress_config "$port" "$work/data" "$fsync" >"$work/introvy.toml"

valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out.%p" \
  "$bin" serve --config "$work/introvy.toml" >"$work/introvy.log" 2>&1 &
pid=$!
started+=("$pid")
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
# Self cost by function. The threads' entry points (clone, start_thread)
# come first with everything they ran; the whole list is asked for, since
# the default threshold would stop right after them.
# (awk reads to the end: head would stop the pipe early, and with pipefail
# the script would fail on the SIGPIPE.)
callgrind_annotate --inclusive=no --threshold=100 "$out" 2>/dev/null |
  awk '/file:function/ { listing = 1 } listing && shown++ < 45'
[ "$keep" = 0 ] || echo "kept $work ($out)"
