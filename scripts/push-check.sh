#!/usr/bin/env bash
# push-check.sh — proves the suite's results reach a real Prometheus Pushgateway (Debian's,
# installed by `make setup`): it starts one on 127.0.0.1, runs the critical smoke suite and the
# staging suite against the `make stack-up` stack with SMOKE_PUSHGATEWAY_URL, and reads back
# smokestack_run_ok and the check counts the runs pushed. The Pushgateway is stopped on exit.
set -euo pipefail
SCRIPT=push-check
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "$0")/.."

STACK_ENV="${STACK_ENV:-.smokestack/stack.env}"
ADDR="127.0.0.1:${SMOKESTACK_PUSH_PORT:-19091}"

command -v prometheus-pushgateway >/dev/null || die "prometheus-pushgateway not found: run 'make setup'"
[ -r "$STACK_ENV" ] || die "$STACK_ENV not found: run 'make stack-up' first"
# shellcheck disable=SC1091
. "$ENGINE_DIR/env"

prometheus-pushgateway --web.listen-address="$ADDR" >"${TMPDIR:-/tmp}/smokestack-pushgateway.log" 2>&1 &
pg=$!
trap 'kill "$pg" 2>/dev/null || true; wait "$pg" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
	curl -fsS -m 2 "http://$ADDR/-/ready" >/dev/null 2>&1 && break
	sleep 0.2
done
curl -fsS -m 2 "http://$ADDR/-/ready" >/dev/null || die "the Pushgateway did not come up at $ADDR"

export SMOKE_CONFIG="$STACK_ENV" SMOKE_PUSHGATEWAY_URL="http://$ADDR"
go test -count=1 ./smoke -tags critical -v | grep -E '^smokestack: (results pushed|push)' || die "the smoke run did not say it pushed"
# health_p95 times /health while agents load; test-live loaded them all on this stack already.
go test -count=1 ./staging -skip 'TestPerformanceBaseline/health_p95' -v | grep -E '^smokestack: (results pushed|push)' || die "the staging run did not say it pushed"

metrics="$(curl -fsS -m 5 "http://$ADDR/metrics")"
for suite in smoke staging; do
	line="$(grep -E "^smokestack_run_ok\{.*suite=\"$suite\".*\} " <<<"$metrics" || true)"
	[ -n "$line" ] || die "no smokestack_run_ok for suite $suite on the Pushgateway"
	[ "${line##* }" = 1 ] || die "suite $suite pushed smokestack_run_ok ${line##* }: $line"
	pass="$(grep -E "^smokestack_checks\{.*outcome=\"PASS\".*suite=\"$suite\".*\} " <<<"$metrics" | awk '{print $2}')"
	[ -n "$pass" ] && [ "$pass" != 0 ] || die "suite $suite pushed no PASS count"
	log "suite $suite: smokestack_run_ok 1, $pass checks PASS, read back from the Pushgateway at $ADDR"
done
