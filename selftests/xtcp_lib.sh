#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the XTCP shell selftests. Source it, call xtcp_lib_init, then
# run each test through xtcp_lib_test NAME FUNC [ARGS...]: FUNC runs in a
# subshell under `set -e`, so every line asserts; it may end with
# xtcp_lib_skip REASON. The subshell's EXIT trap kills its background jobs,
# checks that /proc/net/xtcp of each namespace it made drained, detaches the
# XTCP links and deletes the namespaces. xtcp_lib_exit prints the TAP plan
# and exits with the kselftest code.
#
# Starting a process is what costs in the TCG VM (a large part of a second
# each, several times that on the debug kernel; `ip netns exec NS CMD` is
# two of them). So the helpers go through xtcp_ns, one process doing what
# ip/sysctl/xtcpctl/awk would do in several, poll inside it rather than
# around it, and xtcp_connect enters the namespace itself (-N).

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4
KSFT_XFAIL=2

xtcp_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
xtcp_lib_top=$(cd "$xtcp_lib_dir/.." && pwd)
XTCPCTL=${XTCPCTL:-$xtcp_lib_top/tools/xtcpctl}
XTCP_CONNECT=${XTCP_CONNECT:-$xtcp_lib_dir/xtcp_connect}
XTCP_NS=${XTCP_NS:-$xtcp_lib_dir/xtcp_ns}
XTCP_PARAMS=/sys/module/xtcp/parameters

xtcp_lib_n=0
xtcp_lib_failed=0
xtcp_lib_passed=0
xtcp_lib_tmp=
xtcp_lib_old_msl=
# per test (inside the subshell): namespaces, links, background pids
xtcp_lib_nss=()
xtcp_lib_links=()
xtcp_lib_pids=()

xtcp_lib_log() {
	printf '# %s\n' "$*"
}

# A line in the kernel log, so that splats can be matched to a test.
xtcp_lib_kmsg() {
	echo "xtcp selftest: $*" >/dev/kmsg 2>/dev/null || true
}

xtcp_lib_have_xtcp() {
	[ -r "$XTCP_PARAMS/family" ] && [ -x "$XTCPCTL" ] && [ -x "$XTCP_NS" ]
}

# Called at the top of a test that needs the module: skips (standalone) or
# fails (XTCP_REQUIRED=1, as in make check) when it is missing.
xtcp_lib_require_xtcp() {
	xtcp_lib_have_xtcp && return 0
	if [ "${XTCP_REQUIRED:-0}" = 1 ]; then
		xtcp_lib_log "XTCP required but not available" \
			"($XTCP_PARAMS/family, $XTCPCTL or $XTCP_NS missing)"
		exit "$KSFT_FAIL"
	fi
	xtcp_lib_skip "XTCP module not loaded"
}

xtcp_lib_require_cmd() {
	local cmd
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null ||
			xtcp_lib_skip "$cmd not installed"
	done
}

xtcp_lib_skip() {
	echo "$*" >"$xtcp_lib_tmp/skip_reason"
	exit "$KSFT_SKIP"
}

xtcp_lib_fail() {
	xtcp_lib_log "FAIL: $*"
	exit "$KSFT_FAIL"
}

xtcp_lib_init() {
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit "$KSFT_SKIP"; }
	xtcp_lib_tmp=$(mktemp -d /tmp/xtcp-selftest.XXXXXX)
	if [ -w "$XTCP_PARAMS/msl_ms" ]; then
		xtcp_lib_old_msl=$(cat "$XTCP_PARAMS/msl_ms")
		# TIME_WAIT lasts 2 * MSL: keep it short so namespaces drain.
		echo "${XTCP_TEST_MSL_MS:-200}" >"$XTCP_PARAMS/msl_ms"
	fi
	trap xtcp_lib_final_cleanup EXIT
	echo "TAP version 13"
}

xtcp_lib_final_cleanup() {
	if [ -n "$xtcp_lib_old_msl" ]; then
		echo "$xtcp_lib_old_msl" >"$XTCP_PARAMS/msl_ms" 2>/dev/null || true
	fi
	[ -n "$xtcp_lib_tmp" ] && rm -rf "$xtcp_lib_tmp"
}

# xtcp_lib_ns_create VAR...: a fresh namespace per VAR, named with a random
# suffix, with lo up and IPv6 off (no stray router solicitations).
xtcp_lib_ns_create() {
	local var name names=()
	for var in "$@"; do
		printf -v name 'xtcp-%s-%04x%04x' "$var" "$RANDOM" "$RANDOM"
		names+=("$name")
		printf -v "$var" '%s' "$name"
	done
	xtcp_lib_nss+=("${names[@]}")
	"$XTCP_NS" add "${names[@]}"
}

# xtcp_lib_veth NS1 DEV1 NS2 DEV2: a veth pair, both ends up
xtcp_lib_veth() {
	"$XTCP_NS" veth "$1" "$2" "$3" "$4"
}

# xtcp_lib_attach NS DEV ADDR/N [GW]: give DEV to XTCP with this address
# (what `xtcpctl link add` does; xtcpctl.sh tests the tool itself)
xtcp_lib_attach() {
	"$XTCP_NS" attach "$@"
	xtcp_lib_links+=("$1 $2")
}

# xtcp_lib_native NS DEV ADDR/N: a kernel address, for the native peer
xtcp_lib_native() {
	"$XTCP_NS" native "$1" "$2" "$3"
}

# xtcp_lib_bg NS CMD...: run CMD in NS in the background; pid in
# $xtcp_lib_bg_pid, killed at cleanup if still running
xtcp_lib_bg() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	xtcp_lib_bg_pid=$!
	xtcp_lib_pids+=("$xtcp_lib_bg_pid")
}

# xtcp_lib_connect NS ARGS...: xtcp_connect ARGS in NS
xtcp_lib_connect() {
	local ns=$1
	shift
	"$XTCP_CONNECT" -N "$ns" "$@"
}

# xtcp_lib_connect_bg NS ARGS...: the same in the background, as xtcp_lib_bg
xtcp_lib_connect_bg() {
	local ns=$1
	shift
	"$XTCP_CONNECT" -N "$ns" "$@" &
	xtcp_lib_bg_pid=$!
	xtcp_lib_pids+=("$xtcp_lib_bg_pid")
}

# xtcp_lib_sk_state NS xtcp|tcp LPORT [RPORT]: the st column (hex, e.g.
# 0A) of the matching socket, empty if none. A connected socket wins over
# a listener on the same port.
xtcp_lib_sk_state() {
	"$XTCP_NS" state "$1" "$2" "$3" "${4:-0}"
}

# xtcp_lib_wait_state NS xtcp|tcp LPORT RPORT STATE [TIMEOUT_S]: poll
# until the socket is in STATE ("" = gone); fails on timeout.
xtcp_lib_wait_state() {
	"$XTCP_NS" wait-state "$1" "$2" "$3" "$4" "$5" "${6:-10}"
}

# xtcp_lib_wait_listen NS xtcp|tcp PORT [TIMEOUT_S]
xtcp_lib_wait_listen() {
	xtcp_lib_wait_state "$1" "$2" "$3" 0 0A "${4:-10}"
}

# xtcp_lib_wait_drained NS [TIMEOUT_S]: /proc/net/xtcp of NS gets empty
xtcp_lib_wait_drained() {
	"$XTCP_NS" wait-drained "$1" "${2:-10}"
}

# xtcp_lib_counter NS NAME: a counter of /proc/net/xtcp_stat in NS
xtcp_lib_counter() {
	"$XTCP_NS" counter "$1" "$2"
}

# xtcp_lib_snmp NS PROTO NAME: a counter of /proc/net/snmp in NS (native
# TCP's: Tcp InCsumErrors is nstat's TcpInCsumErrors)
xtcp_lib_snmp() {
	"$XTCP_NS" snmp "$1" "$2" "$3"
}

# xtcp_lib_port: a random port for a test server
xtcp_lib_port() {
	echo $(( 20000 + RANDOM % 30000 ))
}

# Runs inside the test's subshell on exit.
xtcp_lib_test_cleanup() {
	local rc=$? pid ns link drained=0
	set +e
	# a failure: what XTCP held at that moment, before anything is killed
	if [ "$rc" != 0 ] && [ "$rc" != "$KSFT_SKIP" ] &&
		[ ${#xtcp_lib_nss[@]} != 0 ] && xtcp_lib_have_xtcp; then
		"$XTCP_NS" show "${xtcp_lib_nss[@]}"
	fi
	for pid in "${xtcp_lib_pids[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# (k): whatever the test did, its namespaces must drain once its
	# applications are gone; checked before the links go.
	if [ "$rc" = 0 ] && xtcp_lib_have_xtcp; then
		for ns in "${xtcp_lib_nss[@]}"; do
			xtcp_lib_wait_drained "$ns" 10 || drained=1
		done
	fi
	for link in "${xtcp_lib_links[@]}"; do
		# shellcheck disable=SC2086 # "NS DEV"
		set -- $link
		"$XTCP_NS" detach "$1" "$2" 2>/dev/null
	done
	[ ${#xtcp_lib_nss[@]} = 0 ] || "$XTCP_NS" del "${xtcp_lib_nss[@]}" 2>/dev/null
	if [ "$rc" = 0 ] && [ "$drained" != 0 ]; then
		xtcp_lib_log "FAIL: /proc/net/xtcp did not drain"
		rc=$KSFT_FAIL
	fi
	exit "$rc"
}

# xtcp_lib_result NAME RC: one TAP line
xtcp_lib_result() {
	local reason
	xtcp_lib_n=$((xtcp_lib_n + 1))
	case "$2" in
	"$KSFT_PASS")
		echo "ok $xtcp_lib_n $1"
		xtcp_lib_passed=$((xtcp_lib_passed + 1))
		;;
	"$KSFT_SKIP")
		reason=$(cat "$xtcp_lib_tmp/skip_reason" 2>/dev/null)
		echo "ok $xtcp_lib_n $1 # SKIP ${reason:-skipped}"
		;;
	"$KSFT_XFAIL")
		# a known failure, named and explained where the test says so
		reason=$(cat "$xtcp_lib_tmp/skip_reason" 2>/dev/null)
		echo "ok $xtcp_lib_n $1 # XFAIL ${reason:-known failure}"
		xtcp_lib_passed=$((xtcp_lib_passed + 1))
		;;
	*)
		echo "not ok $xtcp_lib_n $1"
		xtcp_lib_failed=$((xtcp_lib_failed + 1))
		;;
	esac
	rm -f "$xtcp_lib_tmp/skip_reason"
}

# xtcp_lib_test NAME FUNC [ARGS...]
xtcp_lib_test() {
	local name=$1 rc
	shift
	xtcp_lib_kmsg "start $name"
	# Not `( ... ) || rc=$?`: that would switch set -e off inside.
	set +e
	(
		set -e
		trap xtcp_lib_test_cleanup EXIT
		"$@"
	)
	rc=$?
	xtcp_lib_kmsg "end $name rc=$rc"
	xtcp_lib_result "$name" "$rc"
}

xtcp_lib_exit() {
	echo "1..$xtcp_lib_n"
	echo "# $xtcp_lib_passed passed, $xtcp_lib_failed failed," \
		"$((xtcp_lib_n - xtcp_lib_passed - xtcp_lib_failed)) skipped"
	if [ "$xtcp_lib_failed" != 0 ]; then
		exit "$KSFT_FAIL"
	elif [ "$xtcp_lib_passed" = 0 ] && [ "$xtcp_lib_n" != 0 ]; then
		exit "$KSFT_SKIP"
	fi
	exit "$KSFT_PASS"
}
