#!/usr/bin/env bash
# `make run`: the service on its example configuration, with avionte-sim
# standing in for Avionté on 127.0.0.1:8090 (it serves the API the service
# calls and delivers webhooks to the service when candidates are moved
# through its control API). Both stop together on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build}
config=${CONFIG:-examples/introvy.toml}
sim_listen=${SIM_LISTEN:-127.0.0.1:8090}
service_url=${SERVICE_URL:-http://127.0.0.1:8080}

mkdir -p var
"$build/sim/avionte-sim" --listen "$sim_listen" --seed 1 \
  --webhook-url "$service_url/api/webhooks/avionte" \
  --webhook-auth shared-secret >var/avionte-sim.log 2>&1 &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true' EXIT
echo "run-demo: avionte-sim on http://$sim_listen (log: var/avionte-sim.log)"

"$build/apps/introvy" serve --config "$config"
