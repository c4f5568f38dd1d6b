# lib.sh — what the scripts here share, sourced by each (before any cd) after it sets SCRIPT,
# the name its messages start with: one way to report, one engine directory, and one way to
# reach the engine, so a message or a default changes in one place.
# shellcheck shell=bash

ENGINE_DIR="${SMOKESTACK_ENGINE_DIR:-/var/lib/smokestack-engine}"

log() { printf '%s: %s\n' "$SCRIPT" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$SCRIPT" "$*" >&2
	exit 1
}

# use_engine HOW: point docker at the engine (DOCKER_HOST if set, else $ENGINE_DIR/env, which
# engine.sh start writes) and stop, saying HOW to get one, unless it answers within 10 s.
use_engine() {
	if [ -z "${DOCKER_HOST:-}" ]; then
		[ -r "$ENGINE_DIR/env" ] || die "DOCKER_HOST is not set and $ENGINE_DIR/env does not exist: $1 first"
		# shellcheck disable=SC1091
		. "$ENGINE_DIR/env"
	fi
	timeout 10 docker info >/dev/null 2>&1 || die "no Docker engine answers at $DOCKER_HOST: $1"
}
