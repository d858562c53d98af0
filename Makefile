# The two commands a new developer needs: `make run` and `make test`.
# Both install what is missing (Debian packages) and build first.

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= 2
CONFIG ?= examples/introvy.toml

# Development secrets for the demo configuration; set real ones in the
# environment to override.
export INTROVY_WEBHOOK_SECRET ?= dev-webhook-secret
export AVIONTE_API_KEY ?= dev-api-key
export AVIONTE_CLIENT_SECRET ?= dev-client-secret

.PHONY: deps configure build run test bench-ingress bench-throughput \
	bench-avionte-limits bench-noisy-neighbour bench-scale format check-format clean

deps:
	@./scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	@BUILD_DIR=$(BUILD_DIR) CONFIG=$(CONFIG) ./scripts/run-demo.sh

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j1

bench-ingress: build
	bench/ingress/run.sh

# Event-log replay scenarios (bench/replay/README.md).
bench-throughput: build
	bench/run-scenario.sh throughput

bench-avionte-limits: build
	bench/run-scenario.sh avionte-limits

bench-noisy-neighbour: build
	bench/run-scenario.sh noisy-neighbour

bench-scale: build
	bench/run-scenario.sh scale

format:
	@./scripts/check-format.sh --fix

check-format:
	@./scripts/check-format.sh

clean:
	rm -rf $(BUILD_DIR)
