#!/usr/bin/env bash
# The ingress benchmark: introvy's webhook endpoint against a trivial nginx on
# the same machine, a paced latency run, and the memory after a million
# accepted events. See bench/ingress/README.md.
#
#   bench/ingress/run.sh [--duration SECONDS] [--connections N] [--rounds N]
#                        [--rss-events N] [--rss-timeout SECONDS] [--keep]
#
# Builds nothing: expects build/apps/introvy (or INTROVY_BIN). All traffic
# stays on 127.0.0.1; everything started here is stopped on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../lib.sh
. "$root/bench/lib.sh"
bench_script=run.sh

duration=10          # seconds per wrk run
connections=64       # wrk keep-alive connections
rounds=3             # nginx / fsync on / fsync off, interleaved this often
wrk_threads=2        # one per core
paced_rate=1000      # events/s in the latency run
paced_seconds=10
paced_threads=16     # connections of the paced generator
rss_events=1000000   # accepted events before reading the RSS
rss_timeout=300      # seconds the RSS step may push load
keep=0               # keep the temporary folder (logs, stores)

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=${2:?--duration needs SECONDS}; shift 2 ;;
    --connections) connections=${2:?--connections needs N}; shift 2 ;;
    --rounds) rounds=${2:?--rounds needs N}; shift 2 ;;
    --rss-events) rss_events=${2:?--rss-events needs N}; shift 2 ;;
    --rss-timeout) rss_timeout=${2:?--rss-timeout needs SECONDS}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$duration" "$connections" "$rounds" "$rss_events" "$rss_timeout"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: '$n' is not a positive integer" >&2; exit 2; }
done
[ "$connections" -ge "$wrk_threads" ] || wrk_threads=$connections

"$root/scripts/install-deps.sh"

bin=${INTROVY_BIN:-$root/build/apps/introvy}
if [ ! -x "$bin" ]; then
  echo "run.sh: no introvy binary at $bin." >&2
  echo "run.sh: build it first (cmake -S . -B build && cmake --build build)," >&2
  echo "run.sh: or point INTROVY_BIN at one." >&2
  exit 1
fi
python=/usr/bin/python3
for tool in wrk nginx curl "$python"; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/introvy-ingress.XXXXXX")
started=()   # pids of what we started, stopped in reverse order on exit

# Run a private copy, so that a rebuild during the run changes nothing.
bin_built=$(date -u -r "$bin" '+%Y-%m-%d %H:%M UTC')
cp "$bin" "$work/introvy"
bin_source=$bin
bin=$work/introvy

# Removes a stopped instance's store and waits until the disk has written
# everything: an fsync-off run leaves tens of megabytes the kernel would
# otherwise write back during the next run, where every fdatasync waits
# behind it.
settle_disk() {
  rm -rf "$1/data"
  sync
}

trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits until URL answers 200, or fails if PID dies or 20 s pass.
wait_ready() {
  local url=$1 pid=$2 log=$3 i
  for i in $(seq 1 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: process $pid exited at start-up; its log ($log):" >&2
      tail -n 20 "$log" >&2 || true
      exit 1
    fi
    if curl -fs -o /dev/null --max-time 1 "$url"; then return 0; fi
    sleep 0.1
  done
  echo "run.sh: $url not ready after 20 s; log ($log):" >&2
  tail -n 20 "$log" >&2 || true
  exit 1
}

# CPU time (ms) of a process and its direct children, e.g. nginx's worker.
clk_tck=$(getconf CLK_TCK)
cpu_ms() {
  local pid=$1 total=0 p ticks
  for p in "$pid" $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
    # Fields after the ")" closing the command name: utime is 12th, stime 13th.
    ticks=$(sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null | awk '{print $12 + $13}') || ticks=0
    total=$((total + ${ticks:-0}))
  done
  echo $((total * 1000 / clk_tck))
}

# CPU time (ms) used on the machine, from /proc/stat: user, nice, system,
# irq and softirq (the kernel charges these to the process it interrupted,
# e.g. loopback networking to wrk and the server), and steal (time the
# hypervisor gave to other guests).
system_busy_ms() {
  awk -v hz="$clk_tck" '/^cpu / { printf "%d\n", ($2 + $3 + $4 + $7 + $8 + $9) * 1000 / hz }' /proc/stat
}

# CPU time (ms) of this shell's finished children (wrk, paced.py, ...), into
# $children. The builtin `times` must run in this shell: never call this in a
# $(...) subshell, whose own children start from zero.
children_ms() {
  times >"$work/times"
  children=$(awk 'NR == 2 {
         split($1, u, /[ms]/); split($2, s, /[ms]/)
         printf "%d\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000 }' "$work/times")
}

# Bracket a load run: other_start before, other_end LABEL PID SECONDS after.
# R[LABEL.other_pct] is the CPU used by anything but the server under test
# and our load generator, in % of one core: other sessions, builds, a noisy
# neighbour. Above ~10 % the run was disturbed.
other_start() {
  o_busy=$(system_busy_ms); children_ms; o_children=$children; o_server=$(cpu_ms "$1")
}
other_end() {
  local label=$1 pid=$2 ms=$3 busy server
  busy=$(system_busy_ms); children_ms; server=$(cpu_ms "$pid")
  R[$label.other_pct]=$(awk -v b=$((busy - o_busy)) -v c=$((children - o_children)) \
    -v s=$((server - o_server)) -v ms="$ms" \
    'BEGIN { x = (b - c - s) * 100 / ms; if (x < 0) x = 0; printf "%.0f", x }')
}

# A unique 16-hex-digit nonce per load-generator invocation: the run's start
# time, a random part, and a per-run invocation counter. Sets $nonce; must
# not run in a subshell, or the counter would not advance.
run_nonce=$(printf '%08x%04x' "$(date +%s)" $((RANDOM)))
invocation=0
nonce=""
next_nonce() {
  invocation=$((invocation + 1))
  nonce=$(printf '%s%04x' "$run_nonce" "$invocation")
}

secret_file=$work/secret
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secret_file"
chmod 600 "$secret_file"

# --- nginx -------------------------------------------------------------------

start_nginx() {
  local dir=$work/nginx port
  mkdir -p "$dir/logs" "$dir/tmp"
  port=$(free_port)
  cat >"$dir/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:$port;
    location = /api/webhooks/avionte {
      if (\$request_method != POST) { return 405; }
      default_type application/json;
      return 200 '{"status":"accepted"}';
    }
    location = /healthz { return 200 'ok'; }
  }
}
EOF
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" \
    >"$dir/logs/stdout.log" 2>&1 &
  nginx_pid=$!
  started+=("$nginx_pid")
  nginx_url=http://127.0.0.1:$port
  wait_ready "$nginx_url/healthz" "$nginx_pid" "$dir/logs/error.log"
}

# --- introvy -----------------------------------------------------------------

# start_introvy NAME FSYNC: a fresh store in $work/NAME; sets introvy_pid and
# introvy_url.
start_introvy() {
  local name=$1 fsync=$2 dir=$work/$1 port
  mkdir -p "$dir"
  cp "$secret_file" "$dir/secret"
  port=$(free_port)
  ingress_config "$port" "$dir/data" "$fsync" >"$dir/introvy.toml"
  "$bin" serve --config "$dir/introvy.toml" --listen "127.0.0.1:$port" \
    --data "$dir/data" >"$dir/introvy.log" 2>&1 &
  introvy_pid=$!
  started+=("$introvy_pid")
  introvy_url=http://127.0.0.1:$port
  wait_ready "$introvy_url/readyz" "$introvy_pid" "$dir/introvy.log"
}

metric() {  # metric URL 'NAME{LABELS}' -> integer value, 0 when absent
  curl -fs --max-time 5 "$1/metrics" |
    awk -v name="$2" 'index($0, name " ") == 1 { printf "%d\n", $2 + 0; found = 1 }
                      END { if (!found) print 0 }'
}
accepted_metric='introvy_webhooks_total{outcome="accepted"}'

# --- load ----------------------------------------------------------------------

declare -A R  # results: R[label.key]

# run_wrk LABEL URL PID SECONDS: wrk with webhook.lua, results into R[LABEL.*].
run_wrk() {
  local label=$1 url=$2 pid=$3 seconds=$4 out=$work/wrk-$1.txt
  local cpu0 cpu1 line kv
  next_nonce
  other_start "$pid"
  cpu0=$(cpu_ms "$pid")
  wrk -t"$wrk_threads" -c"$connections" -d"${seconds}s" --timeout 10s --latency \
    -s "$here/webhook.lua" "$url/api/webhooks/avionte" \
    -- "$nonce" "$secret_file" >"$out" 2>&1 || {
      echo "run.sh: wrk failed ($label):" >&2; cat "$out" >&2; exit 1; }
  cpu1=$(cpu_ms "$pid")
  other_end "$label" "$pid" $((seconds * 1000))
  line=$(grep '^BENCH ' "$out") || {
    echo "run.sh: no BENCH line from wrk ($label):" >&2; cat "$out" >&2; exit 1; }
  for kv in ${line#BENCH }; do R[$label.${kv%%=*}]=${kv#*=}; done
  R[$label.cpu_ms]=$((cpu1 - cpu0))
}

# fmt_ms MICROSECONDS -> "1.23"
fmt_ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

report_wrk() {
  local label=$1 what=$2
  printf '  %-22s %9.0f req/s  p50 %s ms  p99 %s ms  p99.9 %s ms  %s not 200, %s bad bodies, other CPU %s%%, %s socket errors\n' \
    "$what" "${R[$label.rps]}" "$(fmt_ms "${R[$label.p50_us]}")" \
    "$(fmt_ms "${R[$label.p99_us]}")" "$(fmt_ms "${R[$label.p999_us]}")" \
    "${R[$label.non_200]}" "${R[$label.bad_body]}" "${R[$label.other_pct]}" \
    $((${R[$label.err_connect]} + ${R[$label.err_read]} + ${R[$label.err_write]} + ${R[$label.err_timeout]}))
}

# The machine is shared: say so when something else already uses the CPU,
# since the figures are then not comparable with a quiet run.
idle_percent() {
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  local total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $(((b[4] - a[4] + b[5] - a[5]) * 100 / (total > 0 ? total : 1)))
}
idle_before=$(idle_percent)
busy_note=""
if [ "$idle_before" -lt 85 ]; then
  busy_note="the CPU was only ${idle_before}% idle before the run: other work shares the cores, figures are pessimistic"
fi

echo "== introvy ingress benchmark: ${duration}s per wrk run, $connections connections, $wrk_threads wrk threads"
echo "   binary $bin_source (built $bin_built)"
[ -z "$busy_note" ] || echo "   warning: $busy_note" >&2
echo "   temporary folder $work"

# The speed of a shared virtual machine drifts by several per cent within a
# minute, so one nginx run and one introvy run some seconds apart can differ
# for reasons of their own. The three runs are interleaved in rounds, each
# ratio is taken within its round, and the round with the median fsync-on
# ratio is the one reported.
start_nginx
declare -a round_ratios=()
for round in $(seq 1 "$rounds"); do
  echo "-- round $round of $rounds: nginx (return 200) baseline"
  run_wrk "nginx_r$round" "$nginx_url" "$nginx_pid" "$duration"
  report_wrk "nginx_r$round" "nginx"
  for mode in on off; do
    fsync=true; [ "$mode" = off ] && fsync=false
    echo "-- round $round of $rounds: introvy, storage.fsync=$fsync"
    start_introvy "fsync-$mode-r$round" "$fsync"
    run_wrk "fsync_${mode}_r$round" "$introvy_url" "$introvy_pid" "$duration"
    R[fsync_${mode}_r$round.accepted]=$(metric "$introvy_url" "$accepted_metric")
    report_wrk "fsync_${mode}_r$round" "introvy fsync $mode"
    stop_pid "$introvy_pid"
    settle_disk "$work/fsync-$mode-r$round"
  done
  round_ratios+=("$(awk -v a="${R[fsync_on_r$round.rps]}" -v b="${R[nginx_r$round.rps]}" \
    'BEGIN { printf "%.3f", a / b }') $round")
done
# The median round's figures become R[nginx.*], R[fsync_on.*], R[fsync_off.*].
median_round=$(printf '%s\n' "${round_ratios[@]}" | sort -n | awk -v n="$rounds" 'NR == int((n + 1) / 2) { print $2 }')
all_ratios=$(printf '%s\n' "${round_ratios[@]}" | sort -n | awk '{ printf "%s%s", sep, $1; sep = ", " }')
for key in "${!R[@]}"; do
  for l in nginx fsync_on fsync_off; do
    [[ $key == "${l}_r$median_round."* ]] && R[$l.${key#*.}]=${R[$key]}
  done
done
echo "   fsync-on ratios by round, sorted: $all_ratios; reporting round $median_round"

# --- paced latency run -----------------------------------------------------------

# run_paced LABEL URL PID: paced.py at $paced_rate/s, results into R[LABEL.*].
run_paced() {
  local label=$1 url=$2 pid=$3 out=$work/paced-$1.txt line kv
  next_nonce
  other_start "$pid"
  "$python" "$here/paced.py" --url "$url/api/webhooks/avionte" \
    --secret-file "$secret_file" --nonce "$nonce" \
    --rate "$paced_rate" --duration "$paced_seconds" --threads "$paced_threads" >"$out" 2>&1 || {
      echo "run.sh: paced.py failed ($label):" >&2; cat "$out" >&2; exit 1; }
  other_end "$label" "$pid" $(((paced_seconds + 1) * 1000))
  line=$(grep '^PACED ' "$out") || {
    echo "run.sh: no PACED line ($label):" >&2; cat "$out" >&2; exit 1; }
  for kv in ${line#PACED }; do R[$label.${kv%%=*}]=${kv#*=}; done
}

report_paced() {
  local label=$1 what=$2
  printf '  %-22s %7.0f/s achieved  p50 %s ms  p99 %s ms  p99.9 %s ms  %s not 200, %s bad bodies, %s errors, other CPU %s%%\n' \
    "$what" "${R[$label.achieved_rps]}" "$(fmt_ms "${R[$label.p50_us]}")" \
    "$(fmt_ms "${R[$label.p99_us]}")" "$(fmt_ms "${R[$label.p999_us]}")" \
    "${R[$label.non_200]}" "${R[$label.bad_body]}" "${R[$label.errors]}" "${R[$label.other_pct]}"
}

echo "-- paced ${paced_rate}/s for ${paced_seconds}s (+1 s warm-up), nginx first to show the generator's own floor"
run_paced paced_nginx "$nginx_url" "$nginx_pid"
report_paced paced_nginx "nginx"
stop_pid "$nginx_pid"

start_introvy paced true
run_paced paced "$introvy_url" "$introvy_pid"
report_paced paced "introvy fsync on"
stop_pid "$introvy_pid"
settle_disk "$work/paced"

# --- RSS after a million accepted events -------------------------------------------

echo "-- RSS: $rss_events accepted events through one introvy process (fsync on), at most ${rss_timeout}s of load"
start_introvy rss true
rss_start=$(date +%s)
accepted=0
chunk=20
round=0
while :; do
  elapsed=$(($(date +%s) - rss_start))
  remaining=$((rss_timeout - elapsed))
  [ "$accepted" -lt "$rss_events" ] && [ "$remaining" -gt 0 ] || break
  [ "$chunk" -gt "$remaining" ] && chunk=$remaining
  round=$((round + 1))
  run_wrk "rss_$round" "$introvy_url" "$introvy_pid" "$chunk"
  accepted=$(metric "$introvy_url" "$accepted_metric")
  elapsed=$(($(date +%s) - rss_start))
  rate=$((accepted / (elapsed > 0 ? elapsed : 1)))
  printf '  %3ss: %8d accepted (%d/s), VmRSS %s\n' "$elapsed" "$accepted" "$rate" \
    "$(awk '/^VmRSS/ {print $2, $3}' /proc/"$introvy_pid"/status)"
  # Size the next run from the observed rate, with 10 % to spare.
  if [ "$accepted" -lt "$rss_events" ] && [ "$rate" -gt 0 ]; then
    chunk=$(((rss_events - accepted) * 11 / 10 / rate + 1))
    [ "$chunk" -gt 60 ] && chunk=60
  fi
done
rss_seconds=$(($(date +%s) - rss_start))
rss_rate=$((accepted / (rss_seconds > 0 ? rss_seconds : 1)))
vm_rss_kb=$(awk '/^VmRSS/ {print $2}' /proc/"$introvy_pid"/status)
vm_hwm_kb=$(awk '/^VmHWM/ {print $2}' /proc/"$introvy_pid"/status)
inbox=$(metric "$introvy_url" 'introvy_inbox_depth')
actors=$(metric "$introvy_url" 'introvy_candidate_actors')
duplicates=$(metric "$introvy_url" 'introvy_webhooks_total{outcome="duplicate"}')
# Then let the candidates catch up (bounded), to tell the backlog apart from
# what stays.
drain_start=$(date +%s)
drained=$inbox
while [ "$drained" -gt 0 ] && [ $(($(date +%s) - drain_start)) -lt 90 ]; do
  sleep 2
  drained=$(metric "$introvy_url" 'introvy_inbox_depth')
done
drain_seconds=$(($(date +%s) - drain_start))
drained_rss_kb=$(awk '/^VmRSS/ {print $2}' /proc/"$introvy_pid"/status)
rss_bad=0
for ((i = 1; i <= round; i++)); do
  rss_bad=$((rss_bad + ${R[rss_$i.non_200]} + ${R[rss_$i.bad_body]}))
done
rss_reached=yes; [ "$accepted" -ge "$rss_events" ] || rss_reached=no
printf '  %d accepted in %ds (%d/s); VmRSS %d kB, VmHWM %d kB; inbox depth %d, candidate actors %d; %d answers not 200 or not accepted, %d duplicates\n' \
  "$accepted" "$rss_seconds" "$rss_rate" "$vm_rss_kb" "$vm_hwm_kb" "$inbox" "$actors" "$rss_bad" "$duplicates"
printf '  %d s later, inbox depth %d, VmRSS %d kB\n' "$drain_seconds" "$drained" "$drained_rss_kb"
stop_pid "$introvy_pid"

# --- summary ---------------------------------------------------------------------

mib() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }
verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "**missed**"; fi; }

ratio_on=$(awk -v a="${R[fsync_on.rps]}" -v b="${R[nginx.rps]}" 'BEGIN { printf "%.3f", a / b }')
ratio_off=$(awk -v a="${R[fsync_off.rps]}" -v b="${R[nginx.rps]}" 'BEGIN { printf "%.3f", a / b }')
ok_rps=$(awk -v r="$ratio_on" 'BEGIN { print (r >= 0.5) ? 1 : 0 }')
ok_p99=$(awk -v p="${R[paced.p99_us]}" -v n="${R[paced.non_200]}" -v e="${R[paced.errors]}" \
  'BEGIN { print (p < 5000 && n == 0 && e == 0) ? 1 : 0 }')
ok_rss=$(awk -v kb="$vm_rss_kb" -v r="$rss_reached" 'BEGIN { print (kb < 100 * 1024 && r == "yes") ? 1 : 0 }')

row() {  # row LABEL NAME RATIO
  local l=$1
  printf '| %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "${R[$l.rps]}" \
    "$(fmt_ms "${R[$l.p50_us]}")" "$(fmt_ms "${R[$l.p99_us]}")" "$(fmt_ms "${R[$l.p999_us]}")" \
    "$3" "$(awk -v c="${R[$l.cpu_ms]}" -v n="${R[$l.requests]}" 'BEGIN { printf "%.1f", n ? c * 1000 / n : 0 }')" \
    "${R[$l.non_200]}" "${R[$l.bad_body]}" "${R[$l.other_pct]}"
}
paced_row() {
  local l=$1
  printf '| %s | %.0f | %s | %s | %s | %s | %s | %s | %s |\n' "$2" "${R[$l.achieved_rps]}" \
    "$(fmt_ms "${R[$l.p50_us]}")" "$(fmt_ms "${R[$l.p99_us]}")" "$(fmt_ms "${R[$l.p999_us]}")" \
    "$(fmt_ms "${R[$l.max_us]}")" "${R[$l.non_200]}" "$((${R[$l.bad_body]} + ${R[$l.errors]}))" "${R[$l.other_pct]}"
}

summary=$work/summary.md
{
  echo "Throughput: wrk, ${duration} s per run, $connections keep-alive connections, $wrk_threads threads, unique webhooks (webhook.lua); $rounds interleaved rounds of nginx, fsync on, fsync off, the round with the median fsync-on ratio shown (ratios by round: $all_ratios)."
  echo
  echo "| server | req/s | p50 ms | p99 ms | p99.9 ms | req/s vs nginx | server CPU µs/req | not 200 | not accepted | other CPU % |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  row nginx "nginx (return 200)" "1.000"
  row fsync_on "introvy, fsync on" "$ratio_on"
  row fsync_off "introvy, fsync off" "$ratio_off"
  echo
  echo "Latency at a steady ${paced_rate} events/s (paced.py, ${paced_seconds} s after 1 s warm-up, measured from each request's intended send time):"
  echo
  echo "| server | achieved/s | p50 ms | p99 ms | p99.9 ms | max ms | not 200 | not accepted or failed | other CPU % |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  paced_row paced_nginx "nginx (generator floor)"
  paced_row paced "introvy, fsync on"
  echo
  echo "Memory: $accepted accepted events in one introvy process (fsync on) in ${rss_seconds} s (${rss_rate}/s)$([ "$rss_reached" = yes ] || echo ", **the target of $rss_events was not reached in ${rss_timeout} s**"):" \
    "VmRSS $(mib "$vm_rss_kb") MiB, VmHWM $(mib "$vm_hwm_kb") MiB (inbox depth $inbox, candidate actors $actors, $rss_bad answers not 200 or not accepted, $duplicates duplicates);" \
    "${drain_seconds} s later, inbox depth $drained, VmRSS $(mib "$drained_rss_kb") MiB."
  echo
  echo "| target | result | |"
  echo "|---|---|---|"
  echo "| fsync on: at least half of nginx's req/s (median of $rounds rounds) | ${ratio_on}× | $(verdict "$ok_rps") |"
  echo "| p99 ack under 5 ms at ${paced_rate}/s | $(fmt_ms "${R[paced.p99_us]}") ms | $(verdict "$ok_p99") |"
  echo "| RSS under 100 MiB after $rss_events accepted | $(mib "$vm_rss_kb") MiB | $(verdict "$ok_rss") |"
  if [ -n "$busy_note" ]; then echo; echo "Warning: $busy_note."; fi
  disturbed=""
  for l in nginx fsync_on fsync_off paced_nginx paced; do
    [ "${R[$l.other_pct]}" -le 10 ] || disturbed="$disturbed $l (${R[$l.other_pct]}%)"
  done
  if [ -n "$disturbed" ]; then
    echo
    echo "Warning: other work used more than 10 % of a core during:$disturbed; rerun on a quiet machine before comparing."
  fi
} >"$summary"

echo
echo "== summary"
cat "$summary"

results=$root/bench/results/ingress.md
mkdir -p "$(dirname "$results")"
[ -s "$results" ] || printf '# Ingress benchmark results\n\nAppended by `bench/ingress/run.sh`; see `bench/ingress/README.md`.\n' >"$results"
revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=""
if [ "$revision" != unknown ] && ! git -C "$root" diff --quiet HEAD -- 2>/dev/null; then
  dirty=" (working tree modified)"
fi
{
  echo
  echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), $revision$dirty"
  echo
  echo "Machine: $(nproc) cores, $(uname -r), ${idle_before}% idle before the run; binary built $bin_built."
  echo
  cat "$summary"
} >>"$results"
echo
echo "appended to ${results#"$root"/}"
