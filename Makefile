# smokestack — the Makefile is for this project's machines and CI. A user with
# a Docker engine and a registry needs none of it: `go test ./smoke -tags critical`.
#
# On a registry-less Debian machine (this project's dev machines and CI),
# `make setup` installs and starts a Docker engine and builds local images
# of the monitoring stack and of Jaeger (compiled from source, minutes when
# cold); the test targets then run against them.

SHELL       := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
ENGINE_DIR  ?= $(or $(SMOKESTACK_ENGINE_DIR),/var/lib/smokestack-engine)
export SMOKESTACK_ENGINE_DIR := $(ENGINE_DIR)
TESTFLAGS   ?=
STACK_ENV   ?= .smokestack/stack.env
GO          ?= go
# Static Go builds throughout: the harness compiles the reference service with CGO_ENABLED=0 (its
# image is FROM scratch), and a suite compiled the same way shares every package of it with that
# compile (a cold main job: the reference image 51 s -> 14 s here).
export CGO_ENABLED := 0

# The environment of a test run on the local engine with the local images.
# Grafana has no image here (not in Debian, AGPL module): its checks skip
# with that reason. Jaeger (the trace backend) is compiled from the Go module
# proxy's source by images-local; SMOKE_JAEGER_IMAGE=none runs without it.
LOCAL = source $(ENGINE_DIR)/env && \
	export SMOKE_PROMETHEUS_IMAGE=smokestack/prometheus:local \
	       SMOKE_ALERTMANAGER_IMAGE=smokestack/alertmanager:local \
	       SMOKE_NODE_EXPORTER_IMAGE=smokestack/node-exporter:local \
	       SMOKE_JAEGER_IMAGE=$${SMOKE_JAEGER_IMAGE:-smokestack/jaeger:local} \
	       SMOKE_GRAFANA_IMAGE=$${SMOKE_GRAFANA_IMAGE:-none} &&

.PHONY: setup engine images-local genesis-image cli smoke-critical smoke smoke-a2a staging success-metrics test proofs perf stack-up stack-down test-live suite-image test-image test-push lint clean-stacks

## setup: install and start the Docker engine, build the local images (idempotent)
setup: engine images-local genesis-image

engine:
	bash scripts/engine.sh install
	bash scripts/engine.sh start >/dev/null

images-local: engine
	GO=$(GO) bash scripts/images-local.sh

# The reference service image, built once before test packages start in
# parallel (each would otherwise compile it cold at the same time).
genesis-image: engine
	source $(ENGINE_DIR)/env && $(GO) run ./cmd/smokestack image >/dev/null

## smoke-critical: the main job — the critical smoke suite on an ephemeral stack. It needs less than
## setup: the engine's own packages (not chromium, not the Pushgateway), the three monitoring images
## and no trace backend (no critical check reads one: checks' TestCriticalPlanReadsNoTraceBackend);
## scripts/main-job.sh readies them beside the Go compile, printing each phase's time. -vet=off: vet is
## make lint's job, and on a fresh machine go test's vet costs the main job ~25 s (facts for every dependency).
smoke-critical:
	GO=$(GO) bash scripts/main-job.sh
	export SMOKE_JAEGER_IMAGE=$${SMOKE_JAEGER_IMAGE:-none} && $(LOCAL) $(GO) test ./smoke -tags critical -vet=off -v $(TESTFLAGS)

## smoke: the whole smoke suite on an ephemeral stack
smoke: setup
	$(LOCAL) $(GO) test ./smoke -v $(TESTFLAGS)

## smoke-a2a: the whole smoke suite against a reference service serving only contract part A
## (what the real Genesis serves today), declared SMOKE_PROFILE=a2a: B and C checks NOT APPLICABLE
smoke-a2a: setup
	$(LOCAL) export SMOKE_GENESIS_SURFACE=a2a SMOKE_PROFILE=a2a && $(GO) test ./smoke -v $(TESTFLAGS)

## cli: build the smokestack command (go run turns every non-zero exit into 1; the gate's 3 = HOLD needs the binary)
cli:
	$(GO) build -o bin/smokestack ./cmd/smokestack

## staging: the staging validation on an ephemeral stack
staging: setup
	$(LOCAL) $(GO) test ./staging -v $(TESTFLAGS)

## success-metrics: the checklist's 48-hour targets (staging TestSuccessMetrics, tag slow) on an ephemeral stack:
## a bounded synthetic load first, then each target over the window from its start (SMOKE_SUCCESS_WINDOW caps it, 5m here)
success-metrics: setup
	$(LOCAL) export SMOKE_SUCCESS_WINDOW=$${SMOKE_SUCCESS_WINDOW:-5m} && $(GO) test ./staging -tags slow -run TestSuccessMetrics -v $(TESTFLAGS)

## test: the project's tests — units, fixtures, the smoke suite, the fault matrix
test: setup
	$(LOCAL) $(GO) test -timeout 75m $(TESTFLAGS) ./...

## proofs: the fault matrix alone, with its confusion table
proofs: setup
	$(LOCAL) $(GO) test ./proofs -v -timeout 60m $(TESTFLAGS)

## perf: the P95 budgets as testing.B benchmarks (HTDAG <200ms, HALO <100ms, AOP <50ms)
perf: setup
	$(LOCAL) $(GO) test ./perf -bench . -run '^$$' $(TESTFLAGS)

## stack-up: start one stack for several packages; writes $(STACK_ENV)
stack-up: setup
	$(LOCAL) $(GO) run ./cmd/smokestack up -env $(STACK_ENV)

## stack-down: remove the stack stack-up started
stack-down:
	source $(ENGINE_DIR)/env && $(GO) run ./cmd/smokestack down -env $(STACK_ENV)

## test-live: the critical and full smoke suite against the stack-up stack, in live mode, through the gate.
## health_p95 goes first, on agents not loaded yet (agents_loadable loads them all); the last staging run skips it.
test-live: cli
	source $(ENGINE_DIR)/env && SMOKE_CONFIG=$(STACK_ENV) $(GO) test ./staging -run 'TestPerformanceBaseline/health_p95' -v $(TESTFLAGS)
	source $(ENGINE_DIR)/env && SMOKE_CONFIG=$(STACK_ENV) $(GO) test ./smoke -tags critical -v $(TESTFLAGS)
	source $(ENGINE_DIR)/env && SMOKE_CONFIG=$(STACK_ENV) $(GO) test -json ./smoke $(TESTFLAGS) | ./bin/smokestack gate -junit .smokestack/smoke-junit.xml -json .smokestack/smoke-report.json
	source $(ENGINE_DIR)/env && SMOKE_CONFIG=$(STACK_ENV) $(GO) test ./staging -skip 'TestPerformanceBaseline/health_p95' $(TESTFLAGS)

## suite-image: the compiled suites and the CLI as smokestack/suite:local (live mode, no Go needed)
suite-image: setup
	bash scripts/suite-image.sh

## test-image: the suite image against the stack-up stack, from inside a container (live mode)
test-image: suite-image cli
	source $(ENGINE_DIR)/env && docker run --rm --network host --env-file $(STACK_ENV) \
		-e SMOKE_REQUIRE=genesis,prometheus,alertmanager,node-exporter,llm -e SMOKE_CONTAINERS= \
		smokestack/suite:local /test2json -p github.com/smokestack-dev/smokestack/smoke /smoke-critical.test -test.v=test2json \
		| ./bin/smokestack gate -all

## test-push: the suites push their results to a real Pushgateway, read back (needs stack-up)
test-push: setup
	bash scripts/push-check.sh

## lint: gofmt, go vet, staticcheck, deadcode (no unreachable function)
lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags critical ./...
	$(GO) vet -tags slow ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	@out=$$($(GO) run golang.org/x/tools/cmd/deadcode@v0.52.0 -test ./...); if [ -n "$$out" ]; then echo "unreachable code:"; echo "$$out"; exit 1; fi

## clean-stacks: remove containers and networks that killed runs left behind
clean-stacks:
	bash scripts/engine.sh sweep
