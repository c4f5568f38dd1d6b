#!/usr/bin/env bash
# images-local.sh — builds the monitoring images the ephemeral stack runs when no registry is
# reachable, FROM scratch out of Debian's binaries (scripts/engine.sh install brings them):
#
#   smokestack/prometheus:local     /bin/prometheus, /bin/promtool
#   smokestack/alertmanager:local   /bin/alertmanager, /bin/amtool, Debian's templates
#   smokestack/node-exporter:local  /bin/node_exporter
#   smokestack/jaeger:local         /cmd/jaeger/jaeger-linux: Jaeger v2 all-in-one (v1.76.0), compiled
#                                   from the Go module proxy's source (not in Debian), static
#
# The layout mimics the official prom/* images, so one set of container arguments works for
# both: ENTRYPOINT is the binary, USER nobody, Prometheus config /etc/prometheus/prometheus.yml and
# data /prometheus, Alertmanager config /etc/alertmanager/alertmanager.yml and storage /alertmanager.
# Each image carries a label with the hash of its inputs (binaries, files, Dockerfile); an image
# whose label matches is not rebuilt. Every image is run once (--version) to prove it starts.
#
# Usage: bash scripts/images-local.sh [prometheus|alertmanager|node-exporter|jaeger ...]
# Engine: DOCKER_HOST if set, else $SMOKESTACK_ENGINE_DIR/env (written by scripts/engine.sh start).
# SMOKESTACK_IMAGES_FORCE=1 rebuilds even when the hash matches, without the builder's cache.
set -euo pipefail
SCRIPT=images
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HASH_LABEL=org.smokestack.inputs-sha256
DOCKER_TIMEOUT="${SMOKESTACK_IMAGES_TIMEOUT:-300}"

# ms: milliseconds since the epoch, for the timings.
ms() { date +%s%3N; }
since() { echo "$(($(ms) - $1)) ms"; }

command -v docker >/dev/null || die "docker client not found: run 'bash scripts/engine.sh install'"
use_engine "run 'bash scripts/engine.sh start'"
export DOCKER_BUILDKIT=0 # the legacy builder: nothing to pull, no buildx needed

need_file() {
	[ -e "$1" ] || die "$1 is missing: run 'bash scripts/engine.sh install' (it installs Debian's $2)"
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/smokestack-images.XXXXXX")"
# cleanup: the work directory, and the jaeger round trip's container if one is left.
cleanup() {
	if [ -n "${JAEGER_CHECK_CID:-}" ]; then
		timeout 30 docker rm -f "$JAEGER_CHECK_CID" >/dev/null 2>&1 || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

# Each image is described by a manifest: lines "SRC DEST MODE OWNER" (SRC a host file or
# a file under $WORK/gen, DEST its path in the image, OWNER root or nobody), plus a Dockerfile.
# The inputs hash covers the manifest, the content of every SRC and the Dockerfile.

# --- files generated once for all images ---------------------------------------------------
GEN="$WORK/gen"
mkdir -p "$GEN"
cat >"$GEN/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
cat >"$GEN/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
cat >"$GEN/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
networks: files
protocols: files
services: files
EOF
# Default configs, like the official images ship: run without mounts, scrape itself, route
# nowhere. The harness mounts fixtures/stack's configs over them.
cat >"$GEN/prometheus.yml" <<'EOF'
# default of smokestack/prometheus:local; the harness mounts fixtures/stack/prometheus.yml here
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["localhost:9090"]
EOF
cat >"$GEN/alertmanager.yml" <<'EOF'
# default of smokestack/alertmanager:local; the harness mounts fixtures/stack/alertmanager.yml here
route:
  receiver: default
receivers:
  - name: default
EOF

# base_manifest: what every FROM-scratch image needs to run Debian's dynamically linked Go
# binaries: the loader and libc that ldd names (and nothing more), CA certificates, passwd and
# group with nobody, nsswitch.conf. /tmp (1777) is made in the Dockerfile.
base_manifest() {
	local bin lib
	for bin in "$@"; do
		# ldd lines: "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and
		# "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no file.
		ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'
	done | sort -u | while read -r lib; do
		[ -e "$lib" ] || die "ldd names $lib but it does not exist"
		echo "$lib $lib 0755 root" # copied dereferenced to the path the binary asks for
	done
	echo "/etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt 0644 root"
	echo "$GEN/passwd /etc/passwd 0644 root"
	echo "$GEN/group /etc/group 0644 root"
	echo "$GEN/nsswitch.conf /etc/nsswitch.conf 0644 root"
}

manifest_prometheus() {
	need_file /usr/bin/prometheus prometheus
	need_file /usr/bin/promtool prometheus
	base_manifest /usr/bin/prometheus /usr/bin/promtool
	echo "/usr/bin/prometheus /bin/prometheus 0755 root"
	echo "/usr/bin/promtool /bin/promtool 0755 root"
	echo "$GEN/prometheus.yml /etc/prometheus/prometheus.yml 0644 root"
	# Debian's build serves its web assets from here; 324 KB, so the UI works too.
	if [ -d /usr/share/prometheus/web ]; then
		find /usr/share/prometheus/web -type f | sort | while read -r f; do echo "$f $f 0644 root"; done
	fi
}
# dockerfile_daemon NAME PORT STORAGE_FLAG: the Dockerfile of Prometheus or Alertmanager, laid
# out alike as in the prom/* images (see the top): one layout, so the two cannot drift apart.
dockerfile_daemon() {
	cat <<EOF
FROM scratch
COPY root/ /
COPY --chown=65534:65534 nobody/ /
USER nobody
WORKDIR /$1
EXPOSE $2
ENTRYPOINT ["/bin/$1"]
CMD ["--config.file=/etc/$1/$1.yml", "$3=/$1"]
EOF
}
dockerfile_prometheus() { dockerfile_daemon prometheus 9090 --storage.tsdb.path; }
dirs_prometheus() { echo "/prometheus nobody"; }
check_prometheus() { echo "--version"; }
tools_prometheus() { echo "/bin/promtool --version"; }

manifest_alertmanager() {
	need_file /usr/bin/prometheus-alertmanager prometheus-alertmanager
	need_file /usr/bin/amtool prometheus-alertmanager
	base_manifest /usr/bin/prometheus-alertmanager /usr/bin/amtool
	echo "/usr/bin/prometheus-alertmanager /bin/alertmanager 0755 root"
	echo "/usr/bin/amtool /bin/amtool 0755 root"
	echo "$GEN/alertmanager.yml /etc/alertmanager/alertmanager.yml 0644 root"
	# Debian's Alertmanager reads its templates from this path; without them it never opens
	# its port.
	local f
	for f in /usr/share/prometheus/alertmanager/*.tmpl; do
		[ -e "$f" ] || die "no templates in /usr/share/prometheus/alertmanager: reinstall prometheus-alertmanager"
		echo "$f $f 0644 root"
	done
}
dockerfile_alertmanager() { dockerfile_daemon alertmanager 9093 --storage.path; }
dirs_alertmanager() { echo "/alertmanager nobody"; }
check_alertmanager() { echo "--version"; }
tools_alertmanager() { echo "/bin/amtool --version"; }

manifest_node_exporter() {
	need_file /usr/bin/prometheus-node-exporter prometheus-node-exporter
	base_manifest /usr/bin/prometheus-node-exporter
	echo "/usr/bin/prometheus-node-exporter /bin/node_exporter 0755 root"
}
dockerfile_node_exporter() {
	cat <<'EOF'
FROM scratch
COPY root/ /
USER nobody
EXPOSE 9100
ENTRYPOINT ["/bin/node_exporter"]
EOF
}
dirs_node_exporter() { :; }
check_node_exporter() { echo "--version"; }
tools_node_exporter() { :; }

# --- smokestack/jaeger:local: compiled from source ------------------------------------------
# Jaeger is not in Debian. Its v2 backend, the "jaeger" binary (an OpenTelemetry collector:
# run without --config it is the all-in-one, with memory storage, OTLP receivers on 4317/4318
# and the query API on 16686, listening on JAEGER_LISTEN_HOST), is a Go module the Go module
# proxy serves. It is built in a throw-away module (go get -tool resolves every dependency as
# jaeger's release pins them, checked against the checksum database) as a static binary: no
# libraries to copy. Cold that takes minutes on a 2-core machine; the image is keyed by what
# it is made of before anything is compiled (version, Go version, flags, base files,
# Dockerfile), so a machine that has it compiles nothing, and the Go build cache makes a
# rebuild (say, for a changed Dockerfile) little more than a link.
JAEGER_MODULE=github.com/jaegertracing/jaeger
JAEGER_VERSION=v1.76.0 # = Jaeger v2.13.0 (harness.DefaultJaegerImage is jaegertracing/jaeger:2.13.0)
JAEGER_LDFLAGS="-s -w -X $JAEGER_MODULE/internal/version.latestVersion=$JAEGER_VERSION"
JAEGER_BUILD_TIMEOUT="${SMOKESTACK_JAEGER_BUILD_TIMEOUT:-2400}"
GO="${GO:-go}"

manifest_jaeger() {
	base_manifest
	echo "$WORK/jaeger-linux /cmd/jaeger/jaeger-linux 0755 root"
}
dockerfile_jaeger() {
	cat <<'EOF'
FROM scratch
COPY root/ /
ENV JAEGER_LISTEN_HOST=0.0.0.0
USER 10001
EXPOSE 4317 4318 16686 13133
ENTRYPOINT ["/cmd/jaeger/jaeger-linux"]
EOF
}
dirs_jaeger() { :; }
check_jaeger() { echo "version"; }
tools_jaeger() { :; }

# jaeger_key: the inputs hash of the jaeger image, known before compiling.
jaeger_key() {
	local src dest mode owner
	{
		echo "module $JAEGER_MODULE@$JAEGER_VERSION"
		echo "$("$GO" env GOVERSION) CGO_ENABLED=0 -trimpath -ldflags=$JAEGER_LDFLAGS"
		base_manifest | while read -r src dest mode owner; do
			echo "$dest $mode $owner $(sha256sum <"$src" | cut -d' ' -f1)"
		done
		echo "dockerfile:"
		dockerfile_jaeger
	} | sha256sum | cut -d' ' -f1
}

# jaeger_compile OUT: the static binary, from a throw-away module.
jaeger_compile() {
	local out="$1" mod="$WORK/jaeger-module" t
	mkdir -p "$mod"
	t=$(ms)
	if ! (cd "$mod" && "$GO" mod init smokestack.local/jaeger-build &&
		timeout "$JAEGER_BUILD_TIMEOUT" "$GO" get -tool "$JAEGER_MODULE/cmd/jaeger@$JAEGER_VERSION") >"$WORK/jaeger-get.log" 2>&1; then
		tail -n 30 "$WORK/jaeger-get.log" >&2
		die "jaeger: go get $JAEGER_MODULE/cmd/jaeger@$JAEGER_VERSION failed (output above): the Go module proxy must be reachable"
	fi
	log "jaeger: $JAEGER_MODULE@$JAEGER_VERSION and its dependencies resolved in $(since "$t")"
	t=$(ms)
	if ! (cd "$mod" && CGO_ENABLED=0 timeout "$JAEGER_BUILD_TIMEOUT" "$GO" build -trimpath -ldflags="$JAEGER_LDFLAGS" \
		-o "$out" "$JAEGER_MODULE/cmd/jaeger") >"$WORK/jaeger-build.log" 2>&1; then
		tail -n 30 "$WORK/jaeger-build.log" >&2
		die "jaeger: go build failed or took over ${JAEGER_BUILD_TIMEOUT}s (output above)"
	fi
	log "jaeger: compiled in $(since "$t") ($(du -h "$out" | cut -f1), CGO_ENABLED=0: static)"
}

# jaeger_roundtrip TAG: the image receives a trace over OTLP/HTTP and serves it back from its
# query API, as the ephemeral stack needs it to; proved once per build.
JAEGER_CHECK_CID=""
jaeger_roundtrip() {
	local tag="$1" t otlp query tid now span out
	t=$(ms)
	command -v curl >/dev/null || die "curl not found (the jaeger image's round trip uses it)"
	JAEGER_CHECK_CID="$(timeout 60 docker run -d -p 127.0.0.1::4318 -p 127.0.0.1::16686 "$tag")" ||
		die "$tag: docker run failed"
	otlp="$(timeout 30 docker port "$JAEGER_CHECK_CID" 4318/tcp | head -n1)"
	query="$(timeout 30 docker port "$JAEGER_CHECK_CID" 16686/tcp | head -n1)"
	tid="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
	now="$(date +%s%N)"
	span='{"traceId":"'"$tid"'","spanId":"00f067aa0ba902b7","name":"images-local roundtrip","kind":1,"startTimeUnixNano":"'"$now"'","endTimeUnixNano":"'"$((now + 1000000))"'"}'
	out=""
	for _ in $(seq 1 60); do
		if curl -fsS -m 2 -o /dev/null -H 'Content-Type: application/json' "http://$otlp/v1/traces" \
			--data '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"smokestack-images"}}]},"scopeSpans":[{"spans":['"$span"']}]}]}' 2>/dev/null &&
			out="$(curl -fsS -m 2 "http://$query/api/traces/$tid" 2>/dev/null)" && grep -q 'images-local roundtrip' <<<"$out"; then
			break
		fi
		out=""
		sleep 0.5
	done
	if [ -z "$out" ]; then
		timeout 30 docker logs "$JAEGER_CHECK_CID" 2>&1 | tail -n 15 >&2 || true
		die "$tag: a trace posted over OTLP/HTTP (port 4318) was not served back by the query API (port 16686) within 30 s (container log above)"
	fi
	timeout 30 docker rm -f "$JAEGER_CHECK_CID" >/dev/null 2>&1 || true
	JAEGER_CHECK_CID=""
	log "$tag: received a trace over OTLP/HTTP and served it from /api/traces/ID in $(since "$t")"
}

# image_jaeger TAG: like image, with the key computed before anything is compiled.
image_jaeger() {
	local tag="$1" t0 hash
	t0=$(ms)
	command -v "$GO" >/dev/null || die "$GO not found: the jaeger image is compiled from source with Go"
	hash="$(jaeger_key)"
	if up_to_date "$tag" "$hash"; then
		log "$tag: up to date ($JAEGER_MODULE $JAEGER_VERSION, inputs ${hash:0:12}), nothing compiled; checked in $(since "$t0")"
		verify jaeger "$tag"
	else
		log "$tag: building $JAEGER_MODULE $JAEGER_VERSION from source (cold: minutes; the Go build cache keeps later builds short)"
		jaeger_compile "$WORK/jaeger-linux"
		manifest_jaeger >"$WORK/jaeger.manifest"
		build_image jaeger "$tag" "$hash"
		rm -f "$WORK/jaeger-linux"
		verify jaeger "$tag"
		jaeger_roundtrip "$tag"
	fi
	log "$tag: ready in $(since "$t0")"
}

# inputs_hash NAME: sha256 over the manifest, every source file's content, the directories
# and the Dockerfile.
inputs_hash() {
	local name="$1" src dest mode owner
	{
		# Destination, mode, owner and content of every file; not the source path, which for
		# generated files lies in this run's temporary directory.
		while read -r src dest mode owner; do
			echo "$dest $mode $owner $(sha256sum <"$src" | cut -d' ' -f1)"
		done <"$WORK/$name.manifest"
		echo "dirs:"
		"dirs_$name"
		echo "dockerfile:"
		"dockerfile_$name"
	} | sha256sum | cut -d' ' -f1
}

# prepare_context NAME: the build context: root/ (owned by root in the image),
# nobody/ (COPY --chown=65534:65534: only the writable data directories, which exist nowhere
# else, so the copy changes the owner of nothing else), Dockerfile.
prepare_context() {
	local name="$1"
	local ctx="$WORK/$name.ctx" src dest mode owner dir
	mkdir -p "$ctx/root/tmp" "$ctx/nobody"
	chmod 1777 "$ctx/root/tmp"
	while read -r src dest mode owner; do
		mkdir -p "$(dirname "$ctx/$owner$dest")"
		cp -L "$src" "$ctx/$owner$dest"
		chmod "$mode" "$ctx/$owner$dest"
	done <"$WORK/$name.manifest"
	while read -r dir owner; do
		[ -n "$dir" ] || continue
		mkdir -p "$ctx/$owner$dir"
		chmod 0755 "$ctx/$owner$dir"
	done < <("dirs_$name")
	"dockerfile_$name" >"$ctx/Dockerfile"
}

# image NAME TAG: build unless the hash label matches, then verify.
image() {
	local name="$1" tag="$2" t0 hash
	t0=$(ms)
	"manifest_$name" >"$WORK/$name.manifest"
	hash="$(inputs_hash "$name")"
	if up_to_date "$tag" "$hash"; then
		log "$tag: up to date (inputs ${hash:0:12}), build skipped; checked in $(since "$t0")"
	else
		build_image "$name" "$tag" "$hash"
	fi
	verify "$name" "$tag"
	log "$tag: ready in $(since "$t0")"
}

# up_to_date TAG HASH: the image exists with this inputs hash (and no rebuild is forced).
up_to_date() {
	local have
	have="$(timeout 30 docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$1" 2>/dev/null || true)"
	[ "$have" = "$2" ] && [ "${SMOKESTACK_IMAGES_FORCE:-0}" != 1 ]
}

# build_image NAME TAG HASH: the build context from $WORK/NAME.manifest, the image labelled
# with HASH, and the image it replaces removed.
build_image() {
	local name="$1" tag="$2" hash="$3" t old
	old="$(timeout 30 docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)"
	t=$(ms)
	prepare_context "$name"
	log "$tag: context prepared in $(since "$t") ($(du -sh "$WORK/$name.ctx" | cut -f1))"
	t=$(ms)
	local nocache=()
	[ "${SMOKESTACK_IMAGES_FORCE:-0}" != 1 ] || nocache=(--no-cache)
	if ! timeout "$DOCKER_TIMEOUT" docker build "${nocache[@]}" -q --label "$HASH_LABEL=$hash" -t "$tag" "$WORK/$name.ctx" \
		>"$WORK/$name.build.log" 2>&1; then
		cat "$WORK/$name.build.log" >&2
		die "$tag: docker build failed (output above)"
	fi
	log "$tag: built in $(since "$t") (inputs ${hash:0:12})"
	rm -rf "$WORK/$name.ctx"
	# The image this build replaced is left untagged: remove it unless a container uses it.
	if [ -n "$old" ] && [ "$old" != "$(timeout 30 docker image inspect -f '{{.Id}}' "$tag")" ]; then
		timeout 30 docker image rm "$old" >/dev/null 2>&1 ||
			log "$tag: previous image ${old:7:12} kept (still in use)"
	fi
}

# verify NAME TAG: the image's entrypoint and tools start and report a version.
verify() {
	local name="$1" tag="$2" t out args
	t=$(ms)
	read -r -a args < <("check_$name")
	if ! out="$(timeout 60 docker run --rm --network none "$tag" "${args[@]}" 2>&1)" ||
		! grep -q 'version' <<<"$out"; then
		die "$tag: 'docker run $tag ${args[*]}' did not report a version; output:
$out"
	fi
	log "$tag: runs: $(head -n1 <<<"$out")"
	local tool
	while read -r tool; do
		[ -n "$tool" ] || continue
		read -r -a args <<<"$tool"
		if ! out="$(timeout 60 docker run --rm --network none --entrypoint "${args[0]}" "$tag" "${args[@]:1}" 2>&1)" ||
			! grep -q 'version' <<<"$out"; then
			die "$tag: '${args[*]}' inside the image did not report a version; output:
$out"
		fi
	done < <("tools_$name")
	log "$tag: verified in $(since "$t")"
}

declare -A TAGS=(
	[prometheus]=smokestack/prometheus:local
	[alertmanager]=smokestack/alertmanager:local
	[node-exporter]=smokestack/node-exporter:local
	[jaeger]=smokestack/jaeger:local
)

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(prometheus alertmanager node-exporter jaeger)
total=$(ms)
for w in "${want[@]}"; do
	[ -n "${TAGS[$w]:-}" ] || die "unknown image '$w' (known: prometheus alertmanager node-exporter jaeger)"
	if [ "$w" = jaeger ]; then
		image_jaeger "${TAGS[$w]}"
	else
		image "${w//-/_}" "${TAGS[$w]}"
	fi
done
log "all done in $(since "$total"): ${want[*]}"
