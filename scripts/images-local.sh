#!/usr/bin/env bash
# images-local.sh — builds the monitoring images the ephemeral stack runs when no registry is
# reachable, FROM scratch out of Debian's binaries (scripts/engine.sh install brings them):
#
#   smokestack/prometheus:local     /bin/prometheus, /bin/promtool
#   smokestack/alertmanager:local   /bin/alertmanager, /bin/amtool, Debian's templates
#   smokestack/node-exporter:local  /bin/node_exporter
#
# The layout mimics the official prom/* images, so one set of container arguments works for
# both: ENTRYPOINT is the binary, USER nobody, Prometheus config /etc/prometheus/prometheus.yml and
# data /prometheus, Alertmanager config /etc/alertmanager/alertmanager.yml and storage /alertmanager.
# Each image carries a label with the hash of its inputs (binaries, files, Dockerfile); an image
# whose label matches is not rebuilt. Every image is run once (--version) to prove it starts.
#
# Usage: bash scripts/images-local.sh [prometheus|alertmanager|node-exporter ...]
# Engine: DOCKER_HOST if set, else $SMOKESTACK_ENGINE_DIR/env (written by scripts/engine.sh start).
# SMOKESTACK_IMAGES_FORCE=1 rebuilds even when the hash matches, without the builder's cache.
set -euo pipefail

ENGINE_DIR="${SMOKESTACK_ENGINE_DIR:-/var/lib/smokestack-engine}"
HASH_LABEL=org.smokestack.inputs-sha256
DOCKER_TIMEOUT="${SMOKESTACK_IMAGES_TIMEOUT:-300}"

log() { printf 'images: %s\n' "$*" >&2; }
die() {
	printf 'images: error: %s\n' "$*" >&2
	exit 1
}

# ms: milliseconds since the epoch, for the timings.
ms() { date +%s%3N; }
since() { echo "$(($(ms) - $1)) ms"; }

if [ -z "${DOCKER_HOST:-}" ]; then
	[ -r "$ENGINE_DIR/env" ] || die "DOCKER_HOST is not set and $ENGINE_DIR/env does not exist: run 'bash scripts/engine.sh start' first"
	# shellcheck disable=SC1091
	. "$ENGINE_DIR/env"
fi
export DOCKER_BUILDKIT=0 # the legacy builder: nothing to pull, no buildx needed
command -v docker >/dev/null || die "docker client not found: run 'bash scripts/engine.sh install'"
timeout 10 docker info >/dev/null 2>&1 || die "no Docker engine answers at $DOCKER_HOST: run 'bash scripts/engine.sh start'"

need_file() {
	[ -e "$1" ] || die "$1 is missing: run 'bash scripts/engine.sh install' (it installs Debian's $2)"
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/smokestack-images.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

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
dockerfile_prometheus() {
	cat <<'EOF'
FROM scratch
COPY root/ /
COPY --chown=65534:65534 nobody/ /
USER nobody
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
EOF
}
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
dockerfile_alertmanager() {
	cat <<'EOF'
FROM scratch
COPY root/ /
COPY --chown=65534:65534 nobody/ /
USER nobody
WORKDIR /alertmanager
EXPOSE 9093
ENTRYPOINT ["/bin/alertmanager"]
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]
EOF
}
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
	local name="$1" tag="$2" t0 t hash have old
	t0=$(ms)
	"manifest_$name" >"$WORK/$name.manifest"
	hash="$(inputs_hash "$name")"
	have="$(timeout 30 docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$tag" 2>/dev/null || true)"
	old="$(timeout 30 docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)"
	if [ "$have" = "$hash" ] && [ "${SMOKESTACK_IMAGES_FORCE:-0}" != 1 ]; then
		log "$tag: up to date (inputs ${hash:0:12}), build skipped; checked in $(since "$t0")"
	else
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
	fi
	verify "$name" "$tag"
	log "$tag: ready in $(since "$t0")"
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
)

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(prometheus alertmanager node-exporter)
total=$(ms)
for w in "${want[@]}"; do
	[ -n "${TAGS[$w]:-}" ] || die "unknown image '$w' (known: prometheus alertmanager node-exporter)"
	image "${w//-/_}" "${TAGS[$w]}"
done
log "all done in $(since "$total"): ${want[*]}"
