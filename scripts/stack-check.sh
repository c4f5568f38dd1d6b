#!/usr/bin/env bash
# stack-check.sh — starts the monitoring stack by hand (docker run, no Go, no testcontainers)
# from the local images and fixtures/stack's configs, and waits until Prometheus reports its
# node-exporter, alertmanager and prometheus targets up, its rules loaded and Alertmanager
# discovered. Genesis is not started, so the genesis target stays down (and TargetDown goes
# pending for it). Everything it starts is removed at exit.
#
#   bash scripts/engine.sh start && bash scripts/images-local.sh && bash scripts/stack-check.sh
#
# Images: SMOKESTACK_PROMETHEUS_IMAGE, SMOKESTACK_ALERTMANAGER_IMAGE, SMOKESTACK_NODE_EXPORTER_IMAGE
# (default smokestack/*:local). Prometheus is published on 127.0.0.1 only.
# SMOKESTACK_STACK_CHECK_HOLD=N keeps the stack up N more seconds for a look by hand.
set -euo pipefail
SCRIPT=stack-check
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIX="$ROOT/fixtures/stack"
PROM_IMAGE="${SMOKESTACK_PROMETHEUS_IMAGE:-smokestack/prometheus:local}"
AM_IMAGE="${SMOKESTACK_ALERTMANAGER_IMAGE:-smokestack/alertmanager:local}"
NE_IMAGE="${SMOKESTACK_NODE_EXPORTER_IMAGE:-smokestack/node-exporter:local}"
DEADLINE="${SMOKESTACK_STACK_DEADLINE:-60}" # seconds until every expected target must be up

ms() { date +%s%3N; }

use_engine "run 'bash scripts/engine.sh start'"
command -v curl >/dev/null || die "curl not found"
command -v python3 >/dev/null || die "python3 not found (used to read Prometheus' JSON)"
for img in "$PROM_IMAGE" "$AM_IMAGE" "$NE_IMAGE"; do
	timeout 30 docker image inspect "$img" >/dev/null 2>&1 || die "image $img missing: run 'bash scripts/images-local.sh'"
done

RUN="smokestack-check-$$"
LABEL="org.smokestack.stack-check=$RUN"
cleanup() {
	local ids
	ids="$(timeout 30 docker ps -aq --filter "label=$LABEL" 2>/dev/null || true)"
	if [ -n "$ids" ]; then
		# shellcheck disable=SC2086
		timeout 60 docker rm -f -v $ids >/dev/null 2>&1 || log "could not remove containers $ids"
	fi
	timeout 30 docker network rm "$RUN" >/dev/null 2>&1 || true
}
trap cleanup EXIT

t0=$(ms)
timeout 30 docker network create --label "$LABEL" "$RUN" >/dev/null
timeout 60 docker run -d --label "$LABEL" --name "$RUN-node-exporter" --network "$RUN" \
	--network-alias node-exporter "$NE_IMAGE" >/dev/null
timeout 60 docker run -d --label "$LABEL" --name "$RUN-alertmanager" --network "$RUN" \
	--network-alias alertmanager \
	-v "$FIX/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro" \
	"$AM_IMAGE" --config.file=/etc/alertmanager/alertmanager.yml --storage.path=/alertmanager >/dev/null
timeout 60 docker run -d --label "$LABEL" --name "$RUN-prometheus" --network "$RUN" \
	--network-alias prometheus -p 127.0.0.1::9090 \
	-v "$FIX/prometheus.yml:/etc/prometheus/prometheus.yml:ro" \
	-v "$FIX/rules:/etc/prometheus/rules:ro" \
	"$PROM_IMAGE" --config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/prometheus >/dev/null
port="$(timeout 30 docker port "$RUN-prometheus" 9090/tcp | head -n1)"
port="${port##*:}"
[ -n "$port" ] || die "Prometheus published no port"
URL="http://127.0.0.1:$port"
log "containers started in $(($(ms) - t0)) ms; Prometheus at $URL"

# targets_state prints "job=health" per active target, sorted.
targets_state() {
	curl -fsS -m 2 "$URL/api/v1/targets?state=active" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)["data"]["activeTargets"]
print(" ".join(sorted(t["labels"]["job"] + "=" + t["health"] for t in d)))
' 2>/dev/null || true
}

# all_up STATE: every job we start is up in STATE (genesis is not started here).
all_up() {
	local job
	for job in alertmanager node prometheus; do
		[[ " $1 " == *" $job=up "* ]] || return 1
	done
}

healthy_at="" seen=""
end=$((SECONDS + DEADLINE))
while [ "$SECONDS" -lt "$end" ]; do
	if [ -z "$healthy_at" ] && curl -fsS -m 2 "$URL/-/ready" >/dev/null 2>&1; then
		healthy_at=$(($(ms) - t0))
		log "Prometheus ready after $healthy_at ms"
	fi
	seen="$(targets_state)"
	all_up "$seen" && break
	for c in node-exporter alertmanager prometheus; do
		[ "$(timeout 10 docker inspect -f '{{.State.Running}}' "$RUN-$c")" = true ] || {
			timeout 10 docker logs --tail 30 "$RUN-$c" >&2 || true
			die "container $c exited (its log above)"
		}
	done
	sleep 0.5
done
if ! all_up "$seen"; then
	timeout 10 docker logs --tail 20 "$RUN-prometheus" >&2 || true
	die "targets not up within ${DEADLINE} s: want alertmanager, node, prometheus up; last seen: ${seen:-no answer from $URL}"
fi
log "targets after $(($(ms) - t0)) ms: $seen"

# Rules loaded (the glob takes genesis.rules.yml, not its unit tests) and Alertmanager known.
rules="$(curl -fsS -m 5 "$URL/api/v1/rules" | python3 -c '
import json, sys
g = json.load(sys.stdin)["data"]["groups"]
print(sum(len(x["rules"]) for x in g))')"
[ "$rules" = 10 ] || die "want 10 rules loaded from genesis.rules.yml, got $rules"
ams="$(curl -fsS -m 5 "$URL/api/v1/alertmanagers" | python3 -c '
import json, sys
print(" ".join(a["url"] for a in json.load(sys.stdin)["data"]["activeAlertmanagers"]))')"
case "$ams" in
*alertmanager:9093*) ;;
*) die "want alertmanager:9093 among Prometheus' active alertmanagers, got: ${ams:-none}" ;;
esac
log "rules loaded: $rules; alertmanagers: $ams"
# rate() over node-exporter answers once two scrapes are in (2 s apart).
cpu=none
while [ "$SECONDS" -lt "$end" ]; do
	cpu="$(curl -fsS -m 5 "$URL/api/v1/query" --data-urlencode 'query=100 * (1 - avg(rate(node_cpu_seconds_total{mode="idle"}[1m])))' |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")')"
	[ "$cpu" = none ] || break
	sleep 0.5
done
[ "$cpu" != none ] || die "rate(node_cpu_seconds_total) gave no result within ${DEADLINE} s"
log "host CPU busy (rate over node-exporter) after $(($(ms) - t0)) ms: $cpu %"
if [ -n "${SMOKESTACK_STACK_CHECK_HOLD:-}" ]; then
	log "holding the stack for ${SMOKESTACK_STACK_CHECK_HOLD} s at $URL"
	sleep "$SMOKESTACK_STACK_CHECK_HOLD"
fi
log "OK in $(($(ms) - t0)) ms"
