#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rmmod and insmod xtcp.ko 20 times (XTCP_RELOAD_ROUNDS). Each round opens
# a socket, attaches a device, runs a short XTCP connection to a native
# peer, closes it, waits for the namespace's sockets to drain, detaches,
# deletes the namespaces and unloads: rmmod must succeed every time. (A
# round is kept to a few processes: each costs a large part of a second in
# the TCG VM.) The module is left loaded with
# the parameters it had (family, msl_ms).
#
# The module file is $XTCP_KO, else <repo>/module/xtcp.ko.

# shellcheck source=xtcp_lib.sh
. "$(dirname "$0")/xtcp_lib.sh"

ROUNDS=${XTCP_RELOAD_ROUNDS:-20}
KO=${XTCP_KO:-$xtcp_lib_top/module/xtcp.ko}
family=
msl=

reload_round() {
	local round=$1 nsx nsn port rc refcnt i
	xtcp_lib_ns_create nsx nsn
	xtcp_lib_veth "$nsx" veth1 "$nsn" veth2
	xtcp_lib_attach "$nsx" veth1 192.0.2.1/24
	xtcp_lib_native "$nsn" veth2 192.0.2.2/24
	port=$(xtcp_lib_port)
	xtcp_lib_connect_bg "$nsn" -s TCP -l -p "$port" -t 30 >/dev/null
	xtcp_lib_wait_listen "$nsn" tcp "$port"
	xtcp_lib_connect "$nsx" -s XTCP -c 192.0.2.2 -p "$port" -n 4096 \
		-t 30 >/dev/null
	wait "$xtcp_lib_bg_pid"
	# a listener that is closed without any connection, too
	xtcp_lib_connect "$nsx" -s XTCP -l -p "$port" -n 0
	xtcp_lib_wait_drained "$nsx" 10
	"$XTCP_NS" detach "$nsx" veth1
	"$XTCP_NS" del "$nsx" "$nsn"
	# nothing may hold the module now (netns teardown can lag a little)
	for ((i = 0; i < 100; i++)); do
		read -r refcnt </sys/module/xtcp/refcnt
		[ "$refcnt" = 0 ] && break
		sleep 0.05
	done
	rc=0
	rmmod xtcp || rc=$?
	[ "$rc" = 0 ] || xtcp_lib_fail "round $round: rmmod failed ($rc, refcnt $refcnt)"
	[ ! -e /sys/module/xtcp ] || xtcp_lib_fail "round $round: still loaded"
	insmod "$KO" family="$family" msl_ms="$msl"
}

test_reload() {
	local r
	xtcp_lib_require_xtcp
	[ -r "$KO" ] || xtcp_lib_skip "no module file $KO"
	read -r family <"$XTCP_PARAMS/family"
	read -r msl <"$XTCP_PARAMS/msl_ms"
	for ((r = 1; r <= ROUNDS; r++)); do
		# each round cleans up itself; reset what the EXIT trap sees
		xtcp_lib_nss=()
		xtcp_lib_links=()
		reload_round "$r"
	done
	xtcp_lib_nss=()
	xtcp_lib_links=()
	[ "$(cat "$XTCP_PARAMS/family")" = "$family" ] ||
		xtcp_lib_fail "family parameter changed"
	xtcp_lib_log "$ROUNDS rounds of rmmod/insmod"
}

xtcp_lib_init
xtcp_lib_test module_reload test_reload
xtcp_lib_exit
