#!/usr/bin/env bash
# Installs every Debian package that the build, the tests and the benchmarks need.
# Idempotent: when everything is present it only checks, quietly, and exits.
set -euo pipefail

packages=(
  build-essential cmake make clang-format pkg-config
  libcaf-dev libboost-dev nlohmann-json3-dev libssl-dev librocksdb-dev
  libspdlog-dev catch2 libcli11-dev libtomlplusplus-dev prometheus-cpp-dev
  libkainjow-mustache-dev libcurl4-openssl-dev libjemalloc-dev
  python3 curl jq wrk nginx-light openssl procps
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
