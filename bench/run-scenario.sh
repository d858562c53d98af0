#!/usr/bin/env bash
# End-to-end replay scenarios: avionte-sim and introvy on free loopback
# ports, a generated event log replayed into the service, figures printed
# and appended to bench/results/replay.md. See bench/replay/README.md.
#
#   bench/run-scenario.sh throughput|avionte-limits|noisy-neighbour|scale
#                         [--events N] [--keep]
#
# --events scales the scenario's main log (scale: 1000000 by default).
# Installs missing packages (scripts/install-deps.sh) but builds nothing:
# expects build/apps/introvy, build/sim/avionte-sim and
# build/bench/introvy-replay (`make build`). Everything started here is
# stopped on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib.sh
. "$root/bench/lib.sh"
bench_script=run-scenario.sh
python=/usr/bin/python3

scenario=${1:-}
shift || true
events=""
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --events) events=${2:?--events needs N}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-scenario.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$scenario" in
  throughput|avionte-limits|noisy-neighbour|scale) ;;
  *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
[ -z "$events" ] || [[ "$events" =~ ^[1-9][0-9]*$ ]] || {
  echo "run-scenario.sh: --events must be a positive integer" >&2; exit 2; }

"$root/scripts/install-deps.sh" # curl, python3: quiet when all is there

introvy_src=${INTROVY_BIN:-$root/build/apps/introvy}
sim_src=${AVIONTE_SIM_BIN:-$root/build/sim/avionte-sim}
replay_src=${INTROVY_REPLAY_BIN:-$root/build/bench/introvy-replay}
for b in "$introvy_src" "$sim_src" "$replay_src"; do
  [ -x "$b" ] || { echo "run-scenario.sh: missing $b; build first (cmake --build build)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "run-scenario.sh: curl is missing" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/introvy-scenario.XXXXXX")
# Private copies: a rebuild during the run changes nothing.
cp "$introvy_src" "$work/introvy"; cp "$sim_src" "$work/avionte-sim"
cp "$replay_src" "$work/introvy-replay"
export INTROVY_BIN=$work/introvy INTROVY_REPLAY_BIN=$work/introvy-replay
started=()

trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Secrets, as files the configurations reference.
secret_file=$work/webhook-secret
echo "bench-webhook-secret-$RANDOM$RANDOM" >"$secret_file"
export AVIONTE_API_KEY=bench-api-key AVIONTE_CLIENT_ID=bench-client
export AVIONTE_CLIENT_SECRET=bench-client-secret
echo "$AVIONTE_API_KEY" >"$work/avionte-api-key"
echo "$AVIONTE_CLIENT_SECRET" >"$work/avionte-client-secret"

# start_sim ARGS...: sets sim_pid, sim_url.
start_sim() {
  local log=$work/sim-$(date +%s%N).log i port=""
  "$work/avionte-sim" --listen 127.0.0.1:0 --log-level warn "$@" >"$log" 2>&1 &
  sim_pid=$!
  started+=("$sim_pid")
  for i in $(seq 1 600); do
    kill -0 "$sim_pid" 2>/dev/null || { echo "avionte-sim exited:" >&2; tail "$log" >&2; exit 1; }
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "avionte-sim did not listen in 60 s" >&2; exit 1; }
  sim_url=http://127.0.0.1:$port
}

# write_config DIR TENANT_RPS AVIONTE_RPS BASE_URL BACKOFF_MS TENANTS...
write_config() {
  local dir=$1 rps=$2 total=$3 base=$4 backoff=$5 t
  shift 5
  mkdir -p "$dir"
  {
    printf '[log]\nlevel = "warn"\n\n[server]\nlisten = "127.0.0.1:0"\n\n'
    printf '[storage]\npath = "%s/store"\nfsync = true\n\n' "$dir"
    printf '[webhook]\nauth = "shared-secret"\nsecrets = ["file:%s"]\n\n' "$secret_file"
    printf '[avionte]\nbase_url = "%s"\napi_key = "file:%s"\nclient_id = "%s"\n' \
      "$base" "$work/avionte-api-key" "$AVIONTE_CLIENT_ID"
    printf 'client_secret = "file:%s"\nrequests_per_second = %s\nbackoff_initial_ms = %s\n\n' \
      "$work/avionte-client-secret" "$total" "$backoff"
    for t in "$@"; do
      printf '[[tenant]]\nfront_office_tenant_id = %s\norg = "org-%s"\ntenant = "t%s"\nrequests_per_second = %s\n\n' \
        "$t" "$t" "$t" "$rps"
    done
  } >"$dir/introvy.toml"
}

# start_introvy DIR: sets introvy_pid, introvy_url, ready_ms (start to /readyz).
start_introvy() {
  local dir=$1 port i t0
  port=$(free_port)
  t0=$(date +%s%N)
  "$work/introvy" serve --config "$dir/introvy.toml" --listen "127.0.0.1:$port" \
    --data "$dir/store" >>"$dir/introvy.log" 2>&1 &
  introvy_pid=$!
  started+=("$introvy_pid")
  introvy_url=http://127.0.0.1:$port
  for i in $(seq 1 3000); do
    kill -0 "$introvy_pid" 2>/dev/null || { echo "introvy exited:" >&2; tail "$dir/introvy.log" >&2; exit 1; }
    if curl -fs -o /dev/null --max-time 1 "$introvy_url/readyz"; then
      ready_ms=$((($(date +%s%N) - t0) / 1000000))
      return 0
    fi
    sleep 0.02
  done
  echo "introvy not ready after 60 s" >&2; exit 1
}

metric() {  # metric 'NAME{LABELS}' -> integer, 0 when absent
  curl -fs --max-time 5 "$introvy_url/metrics" |
    awk -v name="$1" 'index($0, name " ") == 1 { printf "%d\n", $2 + 0; f = 1 } END { if (!f) print 0 }'
}

generate() {  # generate OUT ARGS...
  local out=$1; shift
  "$python" "$here/replay/generate.py" --out "$out" "$@"
}

replay() {  # replay LABEL JSON_OUT ARGS...
  local label=$1 json=$2; shift 2
  "$python" "$here/replay/replay.py" --introvy-url "$introvy_url" --sim-url "$sim_url" \
    --data "$dir/store" --pid "$introvy_pid" --secret-file "$secret_file" \
    --label "$label" --json-out "$json" "$@"
}

jget() {  # jget FILE EXPR (python expression on `f`)
  "$python" -c "import json,sys; f=json.load(open(sys.argv[1])); print($2)" "$1"
}

verdict() { if [ "$1" = 1 ]; then echo met; else echo "**missed**"; fi; }
results=$root/bench/results/replay.md
append_targets() {  # append_targets TEXT_FILE
  cat "$1"
  printf '\n%s\n' "$(cat "$1")" >>"$results"
}

echo "== scenario $scenario (temporary folder $work)"
case "$scenario" in

throughput)
  n=${events:-50000}
  start_sim --rate-limit 0 --tenants 3 --talents-per-tenant 5000 --pipelines-per-tenant 5000 --seed 1
  dir=$work/svc; write_config "$dir" 5000 20000 "$sim_url" 50 6 7 8
  start_introvy "$dir"
  generate "$work/log.jsonl" --seed 11 --events "$n" --tenants 3 --pipelines-per-tenant 5000 --rate 0
  replay throughput "$work/t.json" --stream "$work/log.jsonl,fast,64" \
    --note "avionte-sim without rate limits, 3 tenants x 5,000 candidates; tenant requests_per_second 5000; $n events posted as fast as acknowledged over 64 connections." || true
  dps=$(jget "$work/t.json" 'f["decided_per_s"]')
  ok=$(awk -v d="$dps" 'BEGIN { print (d >= 5000) ? 1 : 0 }')
  { echo; echo "| target | result | |"; echo "|---|---|---|"
    echo "| at least 5,000 events decided per second end to end | $dps/s | $(verdict "$ok") |"; } >"$work/targets.md"
  append_targets "$work/targets.md"
  ;;

avionte-limits)
  n=${events:-10000}
  start_sim --rate-limit 5 --tenants 1 --talents-per-tenant 5000 --pipelines-per-tenant 5000 --seed 2
  dir=$work/svc; write_config "$dir" 4 50 "$sim_url" 5000 6
  start_introvy "$dir"
  generate "$work/log.jsonl" --seed 12 --events "$n" --only-tenant 6 --pipelines-per-tenant 5000 --rate 0
  replay avionte-limits "$work/t.json" --stream "$work/log.jsonl,fast,64" --tenant-limit 5 \
    --note "avionte-sim limited to 5 requests/s per tenant (429 beyond); introvy's tenant requests_per_second 4; a backlog of $n events for tenant 6 posted as fast as acknowledged." || true
  rpe=$(jget "$work/t.json" 'f["requests_per_event"]')
  maxs=$(jget "$work/t.json" 'max(f["avionte"]["max_per_tenant_second"].values() or [0])')
  refused=$(jget "$work/t.json" 'f["avionte"]["refused"]')
  ok1=$(awk -v r="$rpe" 'BEGIN { print (r <= 0.2) ? 1 : 0 }')
  ok2=$(awk -v m="$maxs" -v r="$refused" 'BEGIN { print (m <= 5 && r == 0) ? 1 : 0 }')
  { echo; echo "| target | result | |"; echo "|---|---|---|"
    echo "| at most 0.2 Avionté requests per event | $rpe | $(verdict "$ok1") |"
    echo "| never more requests/s than the tenant's limit (5) | at most $maxs in one second, $refused refused | $(verdict "$ok2") |"; } >"$work/targets.md"
  append_targets "$work/targets.md"
  ;;

noisy-neighbour)
  n=${events:-10000}
  start_sim --rate-limit 5 --tenants 2 --talents-per-tenant 5000 --pipelines-per-tenant 5000 --seed 3
  # The small tenant's usual trickle: 2 events/s for about a minute.
  generate "$work/small.jsonl" --seed 13 --events 120 --only-tenant 7 --pipelines-per-tenant 5000 --rate 2 --bursts 0
  generate "$work/backlog.jsonl" --seed 14 --events "$n" --only-tenant 6 --pipelines-per-tenant 5000 --rate 0
  dir=$work/alone; write_config "$dir" 4 50 "$sim_url" 5000 6 7
  start_introvy "$dir"
  replay noisy-neighbour/alone "$work/alone.json" --stream "$work/small.jsonl,recorded,4" \
    --note "Tenant 7 alone: 120 events at its recorded pace (2/s); avionte-sim limited to 5 requests/s per tenant, introvy's tenant requests_per_second 4." || true
  stop_pid "$introvy_pid"
  curl -fs -X POST "$sim_url/_sim/reset" >/dev/null
  dir=$work/together; write_config "$dir" 4 50 "$sim_url" 5000 6 7
  start_introvy "$dir"
  replay noisy-neighbour/together "$work/together.json" \
    --stream "$work/small.jsonl,recorded,4" --stream "$work/backlog.jsonl,fast,64" \
    --note "Tenant 7's same trickle while tenant 6 replays a backlog of $n events as fast as acknowledged." || true
  p_alone=$(jget "$work/alone.json" 'f["latency_ms"].get("7", {}).get("p99", 0)')
  p_tog=$(jget "$work/together.json" 'f["latency_ms"].get("7", {}).get("p99", 0)')
  ok=$(awk -v a="$p_alone" -v b="$p_tog" 'BEGIN { print (b <= 2 * a) ? 1 : 0 }')
  { echo; echo "| target | result | |"; echo "|---|---|---|"
    echo "| small tenant's p99 event-to-decision within twice its figure alone | alone $p_alone ms, beside the backlog $p_tog ms | $(verdict "$ok") |"; } >"$work/targets.md"
  append_targets "$work/targets.md"
  ;;

scale)
  n=${events:-1000000}
  per_tenant=25000   # 4 tenants x 25,000 = 100,000 candidates
  start_sim --rate-limit 0 --tenants 4 --talents-per-tenant $per_tenant --pipelines-per-tenant $per_tenant --seed 4
  generate "$work/log.jsonl" --seed 15 --events "$n" --tenants 4 --big-tenants 2 --pipelines-per-tenant $per_tenant --rate 0
  dir=$work/svc; write_config "$dir" 5000 20000 "$sim_url" 50 6 7 8 9
  start_introvy "$dir"
  replay scale "$work/t.json" --stream "$work/log.jsonl,fast,64" --deadline 3600 \
    --note "$n events over 100,000 candidates (4 tenants x 25,000), avionte-sim without rate limits, posted as fast as acknowledged." || true
  stop_pid "$introvy_pid"
  rss=$(jget "$work/t.json" 'f["peak_rss_mib"]')

  # Restart with a deep inbox: fill one while Avionté is unreachable (a
  # closed port, long back-off), kill -9, start against the simulator.
  fill=$((n < 100000 ? n : 100000))
  generate "$work/fill.jsonl" --seed 16 --events "$fill" --tenants 4 --big-tenants 2 --pipelines-per-tenant $per_tenant --rate 0 --duplicates 0
  dir=$work/restart; write_config "$dir" 5000 20000 "http://127.0.0.1:$(free_port)" 600000 6 7 8 9
  start_introvy "$dir"
  "$work/introvy-replay" --log "$work/fill.jsonl" --url "$introvy_url/api/webhooks/avionte" \
    --secret-file "$secret_file" --sim-url "$sim_url" --as-fast-as-acked --connections 64 >"$work/fill.out"
  depth=$(metric introvy_inbox_depth)
  kill -KILL "$introvy_pid"; wait "$introvy_pid" 2>/dev/null || true
  write_config "$dir" 5000 20000 "$sim_url" 50 6 7 8 9
  start_introvy "$dir"
  ready=$ready_ms
  t0=$(date +%s)
  while [ "$(metric introvy_inbox_depth)" -gt 0 ] && [ $(($(date +%s) - t0)) -lt 600 ]; do sleep 1; done
  drain=$(($(date +%s) - t0)); left=$(metric introvy_inbox_depth)
  ok1=$(awk -v r="$rss" 'BEGIN { print (r < 300) ? 1 : 0 }')
  ok2=$(awk -v r="$ready" -v d="$depth" -v f="$fill" 'BEGIN { print (r <= 5000 && d >= f * 0.99) ? 1 : 0 }')
  { echo
    echo "Restart: $depth events in the inbox when introvy was killed (kill -9); the new process answered /readyz 200 after $ready ms and emptied the inbox in ${drain} s ($left left)."
    echo; echo "| target | result | |"; echo "|---|---|---|"
    echo "| peak RSS under 300 MB with $n events over 100,000 candidates | $rss MiB | $(verdict "$ok1") |"
    echo "| restart with $fill events in the inbox serving within 5 s | $ready ms | $(verdict "$ok2") |"
    [ "$n" -ge 1000000 ] || echo "| (reduced run: $n events instead of 1,000,000) | | |"; } >"$work/targets.md"
  append_targets "$work/targets.md"
  ;;
esac
echo "appended to ${results#"$root"/}"
