#!/usr/bin/env bash
# suite-image.sh — builds smokestack/suite:local, the suite without Go or the checkout: the
# compiled test binaries and the CLI, FROM scratch, for a CI job or a Kubernetes CronJob that
# checks a live deployment.
#
#   /smoke.test            go test -c ./smoke                 (all smoke checks)
#   /smoke-critical.test   go test -c -tags critical ./smoke  (the critical set)
#   /staging.test          go test -c ./staging
#   /perf.test             go test -c ./perf                  (-test.bench . -test.run '^$')
#   /smokestack            the CLI: gate, verdict, monitor, report, version
#   /test2json             go's converter: /test2json -p smoke /smoke.test -test.v=test2json
#                          writes the go test -json stream that smokestack gate reads
#
# Live mode only (an image cannot start containers): run it with the SMOKE_* variables, e.g.
#   docker run --rm --network host --env-file deploy.env smokestack/suite:local \
#     /smoke-critical.test -test.v
# Static binaries (CGO_ENABLED=0), the host's CA bundle for https targets, USER nobody.
# Usage: bash scripts/suite-image.sh [TAG]   (default smokestack/suite:local)
set -euo pipefail
SCRIPT=suite-image
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "$0")/.."

TAG="${1:-smokestack/suite:local}"

use_engine "run 'make setup'"
export DOCKER_BUILDKIT=0

CTX="$(mktemp -d "${TMPDIR:-/tmp}/smokestack-suite.XXXXXX")"
trap 'rm -rf "$CTX"' EXIT
start=$SECONDS
export CGO_ENABLED=0
go test -c -o "$CTX/smoke.test" ./smoke
go test -c -tags critical -o "$CTX/smoke-critical.test" ./smoke
go test -c -o "$CTX/staging.test" ./staging
go test -c -o "$CTX/perf.test" ./perf
go build -o "$CTX/smokestack" ./cmd/smokestack
go build -o "$CTX/test2json" cmd/test2json
log "binaries built in $((SECONDS - start)) s"

printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$CTX/passwd"
certs=/etc/ssl/certs/ca-certificates.crt
[ -r "$certs" ] || die "$certs is missing: install Debian's ca-certificates"
cp "$certs" "$CTX/ca-certificates.crt"
cat >"$CTX/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY passwd /etc/passwd
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY smoke.test smoke-critical.test staging.test perf.test smokestack test2json /
COPY --chown=65534:65534 tmp /tmp
USER 65534
WORKDIR /tmp
CMD ["/smokestack", "-h"]
DOCKERFILE
# A writable working directory for the test binaries' files; scratch has none.
mkdir -p "$CTX/tmp"
timeout 300 docker build -q -t "$TAG" "$CTX" >/dev/null || die "docker build failed"
out="$(timeout 60 docker run --rm --network none "$TAG" /smokestack version 2>&1)" || die "'/smokestack version' failed in $TAG: $out"
log "$TAG ready in $((SECONDS - start)) s: $out"
