#!/usr/bin/env bash
# engine.sh — the Docker engine smokestack's ephemeral stack runs on, on a registry-less
# Debian 12 machine without systemd (see shared/design/ENVIRONMENT.md for the measurements).
#
#   bash scripts/engine.sh install   # docker.io + Debian's prometheus, alertmanager, node-exporter, chromium
#   bash scripts/engine.sh install-main  # only what the main job (make smoke-critical) needs
#   bash scripts/engine.sh start     # one dockerd under $SMOKESTACK_ENGINE_DIR; prints the exports
#   bash scripts/engine.sh env       # prints the exports again (engine must be up)
#   bash scripts/engine.sh status    # exit 0 when the engine answers
#   bash scripts/engine.sh sweep     # removes what killed test runs left (label org.testcontainers=true)
#   bash scripts/engine.sh stop      # stops the dockerd that start started
#
# State lives in $SMOKESTACK_ENGINE_DIR (default /var/lib/smokestack-engine): data/, exec/,
# docker.sock, docker.pid, dockerd.log, and env — a file other scripts `source`.
# Messages go to stderr; only the export lines go to stdout, so `eval "$(engine.sh start)"` works.
set -euo pipefail
SCRIPT=engine
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SOCK="$ENGINE_DIR/docker.sock"
PIDFILE="$ENGINE_DIR/docker.pid"
LOG="$ENGINE_DIR/dockerd.log"
ENVFILE="$ENGINE_DIR/env"
START_TIMEOUT="${SMOKESTACK_ENGINE_START_TIMEOUT:-30}" # seconds until `docker info` must answer
STOP_TIMEOUT="${SMOKESTACK_ENGINE_STOP_TIMEOUT:-30}"   # seconds after SIGTERM before SIGKILL
SWEEP_TIMEOUT="${SMOKESTACK_ENGINE_SWEEP_TIMEOUT:-60}" # seconds for each docker call of a sweep

# Debian packages: the engine, the monitoring binaries the local images and promtool/amtool
# come from, the Pushgateway the suite pushes its results to (scripts/push-check.sh), and chromium,
# the headless browser the report page is checked in (report/).
# The main job needs only the first four: chromium alone is most of a cold install's download.
MAIN_PACKAGES=(docker.io prometheus prometheus-alertmanager prometheus-node-exporter)
PACKAGES=("${MAIN_PACKAGES[@]}" prometheus-pushgateway chromium)

now_ms() { date +%s%3N; }

usage() {
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

need_root() {
	[ "$(id -u)" -eq 0 ] || die "$1 needs root (apt-get and dockerd); run it as root"
}

# docker_cli runs the docker client against our socket, bounded in time.
docker_cli() {
	local secs="$1"
	shift
	DOCKER_HOST="unix://$SOCK" timeout "$secs" docker "$@"
}

answers() {
	[ -S "$SOCK" ] && docker_cli 5 info >/dev/null 2>&1
}

# running PID: PID is a process that has not exited (a zombie has).
running() {
	local stat
	[ -n "$1" ] || return 1
	stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
	stat="${stat##*) }" # the state follows the parenthesised command name
	[ "${stat:0:1}" != Z ]
}

# pid_alive PID NAME: PID is running and its command name is NAME (a pid file may be stale
# and its number reused).
pid_alive() {
	running "$1" && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

# wait_gone PID NAME SECS: wait, at most SECS seconds, for PID to exit (every stop of ours is
# bounded); true when it has.
wait_gone() {
	local deadline=$((SECONDS + $3))
	while pid_alive "$1" "$2" && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.2
	done
	! pid_alive "$1" "$2"
}

exports() {
	cat <<EOF
export DOCKER_HOST=unix://$SOCK
export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
export TESTCONTAINERS_RYUK_DISABLED=true
export DOCKER_BUILDKIT=0
EOF
}

write_env() {
	local tmp="$ENVFILE.tmp.$$"
	{
		echo "# written by scripts/engine.sh start; source it to talk to the smokestack engine"
		exports
	} >"$tmp"
	mv -f "$tmp" "$ENVFILE"
}

installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

cmd_install() {
	need_root install
	command -v apt-get >/dev/null || die "apt-get not found: install supports Debian 12 only"

	local missing=() p
	for p in "${PACKAGES[@]}"; do
		installed "$p" || missing+=("$p")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		log "install: already installed: ${PACKAGES[*]}"
	else
		# Keep Debian from starting the services it installs (no systemd here; the
		# sysv scripts would start a system Prometheus, Alertmanager, node-exporter and dockerd).
		local ours_policy=""
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			printf '#!/bin/sh\n# written by smokestack scripts/engine.sh: do not start services during installs\nexit 101\n' \
				>/usr/sbin/policy-rc.d
			chmod 0755 /usr/sbin/policy-rc.d
			ours_policy=1
			log "install: wrote /usr/sbin/policy-rc.d (exit 101)"
		fi
		local t0=$SECONDS
		export DEBIAN_FRONTEND=noninteractive
		log "install: apt-get update"
		apt-get -o DPkg::Lock::Timeout=120 update -qq >&2 ||
			die "apt-get update failed (is Debian's mirror reachable?)"
		log "install: apt-get install --no-install-recommends ${missing[*]}"
		apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends \
			-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
			"${missing[@]}" >&2 ||
			die "apt-get install ${missing[*]} failed (see the apt output above)"
		# A policy-rc.d that was ours served this install only.
		if [ -n "$ours_policy" ]; then
			rm -f /usr/sbin/policy-rc.d
		fi
		# Belt and braces: whatever the policy, no service of the packages this run installed
		# is left running.
		local s
		for p in "${missing[@]}"; do
			s="${p%.io}" # the init script of docker.io is "docker"; the others share the package name
			if [ -x "/etc/init.d/$s" ] && "/etc/init.d/$s" status >/dev/null 2>&1; then
				log "install: stopping service $s that the install of $p started"
				"/etc/init.d/$s" stop >&2 || die "could not stop service $s after installing $p"
			fi
		done
		log "install: done in $((SECONDS - t0)) s"
	fi
	local b bins=(dockerd prometheus promtool prometheus-alertmanager amtool prometheus-node-exporter)
	[ "${#PACKAGES[@]}" -eq "${#MAIN_PACKAGES[@]}" ] || bins+=(prometheus-pushgateway chromium)
	for b in "${bins[@]}"; do
		command -v "$b" >/dev/null || die "install: $b not on PATH after install"
	done
	command -v docker >/dev/null || die "install: docker client not on PATH after install"
}

cmd_start() {
	need_root start
	command -v dockerd >/dev/null || die "dockerd not found: run 'bash scripts/engine.sh install' first"
	command -v docker >/dev/null || die "docker client not found: run 'bash scripts/engine.sh install' first"
	# A unix socket path must fit in sun_path (108 bytes with the NUL).
	[ "${#SOCK}" -lt 100 ] || die "socket path too long for a unix socket (${#SOCK} bytes): $SOCK; pick a shorter SMOKESTACK_ENGINE_DIR"
	mkdir -p "$ENGINE_DIR/data" "$ENGINE_DIR/exec"

	if answers; then
		log "start: reusing the engine that answers at $SOCK"
		write_env
		exports
		return 0
	fi

	local pid=""
	[ -f "$PIDFILE" ] && pid="$(cat "$PIDFILE" 2>/dev/null || true)"
	if pid_alive "$pid" dockerd; then
		log "start: dockerd pid $pid is running but not answering yet; waiting for it"
	else
		rm -f "$PIDFILE"
		# One daemon at a time: two dockerds fight over the docker0 bridge.
		local other
		# Zombies (exited, not yet reaped by their parent) hold no bridge.
		other="$(for p in $(pgrep -x dockerd || true); do running "$p" && ps -o pid=,args= -p "$p"; done || true)"
		[ -z "$other" ] || die "another dockerd is running (not ours, socket $SOCK does not answer):
$other
stop it first, or point SMOKESTACK_ENGINE_DIR at its state directory"
		: >"$LOG"
		local t0=$SECONDS
		log "start: dockerd, state in $ENGINE_DIR, log $LOG"
		# setsid: its own session, so the caller's Ctrl-C or exit does not take it down.
		setsid dockerd \
			--storage-driver=overlay2 \
			--iptables=false --ip6tables=false \
			--data-root "$ENGINE_DIR/data" \
			--exec-root "$ENGINE_DIR/exec" \
			-H "unix://$SOCK" \
			-p "$PIDFILE" \
			</dev/null >>"$LOG" 2>&1 &
		pid=$!
		log "start: dockerd pid $pid (launched after $((SECONDS - t0)) s)"
	fi

	local deadline=$(($(now_ms) + START_TIMEOUT * 1000))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		if answers; then
			log "start: engine answers at $SOCK ($(docker_cli 5 version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null || echo '?'))"
			write_env
			exports
			return 0
		fi
		if ! running "$pid"; then # not pid_alive: the child may not have exec'd dockerd yet
			log "start: dockerd exited; last lines of $LOG:"
			tail -n 30 "$LOG" >&2 || true
			die "dockerd exited before answering at $SOCK"
		fi
		sleep 0.2
	done
	[ -s "$PIDFILE" ] || echo "$pid" >"$PIDFILE" # so that stop finds it
	log "start: last lines of $LOG:"
	tail -n 30 "$LOG" >&2 || true
	die "dockerd (pid $pid) did not answer at $SOCK within ${START_TIMEOUT} s; it is left running for inspection ('bash scripts/engine.sh stop' ends it)"
}

cmd_env() {
	answers || die "no engine answers at $SOCK: run 'bash scripts/engine.sh start'"
	exports
}

cmd_status() {
	if answers; then
		log "status: engine answers at $SOCK"
		exports
	else
		log "status: no engine answers at $SOCK"
		return 1
	fi
}

cmd_stop() {
	local pid=""
	[ -f "$PIDFILE" ] && pid="$(cat "$PIDFILE" 2>/dev/null || true)"
	if ! pid_alive "$pid" dockerd; then
		log "stop: no dockerd of ours is running (pid file $PIDFILE: ${pid:-none})"
		rm -f "$ENVFILE"
		return 0
	fi
	local cpid=""
	[ -f "$ENGINE_DIR/exec/containerd/containerd.pid" ] &&
		cpid="$(cat "$ENGINE_DIR/exec/containerd/containerd.pid" 2>/dev/null || true)"
	log "stop: SIGTERM to dockerd pid $pid (bounded to ${STOP_TIMEOUT} s)"
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_gone "$pid" dockerd "$STOP_TIMEOUT"; then
		log "stop: dockerd pid $pid still running after ${STOP_TIMEOUT} s; SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		wait_gone "$pid" dockerd 5 || true
		# The containerd that dockerd manages outlives a SIGKILL of its parent.
		if pid_alive "$cpid" containerd; then
			log "stop: SIGKILL to its containerd pid $cpid"
			kill -KILL "$cpid" 2>/dev/null || true
		fi
	fi
	pid_alive "$pid" dockerd && die "dockerd pid $pid survived SIGKILL"
	rm -f "$ENVFILE" "$PIDFILE"
	log "stop: stopped"
}

cmd_sweep() {
	answers || die "no engine answers at $SOCK: nothing to sweep (run 'bash scripts/engine.sh start')"
	local label=org.testcontainers=true ids n=0
	ids="$(docker_cli "$SWEEP_TIMEOUT" ps -aq --filter "label=$label")" ||
		die "sweep: listing containers labelled $label failed or took over ${SWEEP_TIMEOUT} s"
	if [ -n "$ids" ]; then
		n=$(wc -w <<<"$ids")
		# shellcheck disable=SC2086
		docker_cli "$SWEEP_TIMEOUT" rm -f -v $ids >/dev/null ||
			die "sweep: removing $n containers labelled $label failed or took over ${SWEEP_TIMEOUT} s"
	fi
	log "sweep: removed $n containers labelled $label"
	n=0
	ids="$(docker_cli "$SWEEP_TIMEOUT" network ls -q --filter "label=$label")" ||
		die "sweep: listing networks labelled $label failed or took over ${SWEEP_TIMEOUT} s"
	if [ -n "$ids" ]; then
		n=$(wc -w <<<"$ids")
		# shellcheck disable=SC2086
		docker_cli "$SWEEP_TIMEOUT" network rm $ids >/dev/null ||
			die "sweep: removing $n networks labelled $label failed or took over ${SWEEP_TIMEOUT} s"
	fi
	log "sweep: removed $n networks labelled $label"
}

[ $# -eq 1 ] || usage
case "$1" in
install) cmd_install ;;
install-main)
	PACKAGES=("${MAIN_PACKAGES[@]}")
	cmd_install
	;;
start) cmd_start ;;
env) cmd_env ;;
status) cmd_status ;;
stop) cmd_stop ;;
sweep) cmd_sweep ;;
-h | --help | help) usage ;;
*)
	log "unknown subcommand: $1"
	usage
	;;
esac
