#!/usr/bin/env bash
# main-job.sh — readies this machine for the main job (make smoke-critical runs it, then
# `go test ./smoke -tags critical -v`), in two lanes side by side, so that a fresh machine's first
# verdict does not wait for one thing after another:
#
#   stack lane: the engine's Debian packages (install-main: no chromium, no Pushgateway), the
#               engine, the three monitoring images (no Jaeger: no critical check reads traces)
#   Go lane:    the module downloads, then one compile of every package the critical suite and the
#               reference service need (the suite's go test and the image the harness builds then
#               only link)
#
# The stack lane is mostly network, dpkg and docker build; the Go lane is CPU: they overlap well on
# two cores. Each phase's time is printed. CGO_ENABLED=0 (the Makefile exports it) is what makes
# the reference service's compile share the suite's compiled packages: the harness builds it static.
#
# Usage: GO=go bash scripts/main-job.sh
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"

now_ms() { date +%s%3N; }
log() { printf 'main-job: %s\n' "$*" >&2; }

# timed runs one phase and says how long it took, and whether it failed.
timed() {
	local name=$1 start rc=0
	shift
	start=$(now_ms)
	"$@" || rc=$?
	if [ "$rc" -eq 0 ]; then
		log "$name: $(($(now_ms) - start)) ms"
	else
		log "$name: FAILED (exit $rc) after $(($(now_ms) - start)) ms"
	fi
	return "$rc"
}

stack_lane() {
	timed "stack lane: engine packages" bash scripts/engine.sh install-main &&
		timed "stack lane: engine start" bash scripts/engine.sh start >/dev/null &&
		timed "stack lane: monitoring images" env GO="$GO" bash scripts/images-local.sh prometheus alertmanager node-exporter
}

# list_packages lists every package the critical suite's test binary and the reference service
# need (go list downloads the modules they come from: only those, not the whole module graph).
list_packages() {
	{
		"$GO" list -deps -test -tags critical -f '{{if not .ForTest}}{{.ImportPath}}{{end}}' ./smoke
		"$GO" list -deps ./fixtures/genesis/cmd/genesis
	} | grep -v '\.test$' | sort -u >"$1"
}

# The Go lane compiles all those packages in one build: one go command schedules both sets on both
# cores and compiles the packages they share once (two commands side by side would each compile
# them; one after the other leaves a core idle in each tail). Nothing is linked here: go test and
# the harness link their binaries from the cache, and a link made here would be thrown away. No
# vet either: make lint vets, and the main job's go test runs with -vet=off.
go_lane() {
	local list rc=0
	list="$(mktemp "${TMPDIR:-/tmp}/smokestack-main-job.XXXXXX")"
	{
		timed "Go lane: modules downloaded, packages listed" list_packages "$list" &&
			# shellcheck disable=SC2046 # one argument a package
			timed "Go lane: $(wc -l <"$list") packages compiled (suite and reference service)" "$GO" build -tags critical $(cat "$list")
	} || rc=$?
	rm -f "$list"
	return "$rc"
}

began=$(now_ms)
stack_lane &
stack=$!
go_lane &
golane=$!
rc=0
wait "$stack" || rc=1
wait "$golane" || rc=1
if [ "$rc" -ne 0 ]; then
	log "FAILED after $(($(now_ms) - began)) ms: see the failed phase above"
	exit 1
fi
log "ready in $(($(now_ms) - began)) ms; the suite runs next"
