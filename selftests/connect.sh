#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bulk data through XTCP, checked with SHA-256, between two namespaces:
#
#   ns1                               ns2
#   veth1 198.51.100.1/24 <------> veth2 198.51.100.2/24
#
# Each side is XTCP (xtcpctl link add; the device has no kernel address)
# or native TCP (ip addr add). Pairs: xtcp->xtcp, xtcp->tcp, tcp->xtcp,
# sizes 0 1 1460 1461 64KiB 1MiB 64MiB one way, and 1MiB echoed back (-r).
#
# XTCP_CONNECT_SIZES and XTCP_CONNECT_PAIRS override the lists (tcp:tcp is
# the native reference, useful to check the script itself).

# shellcheck source=xtcp_lib.sh
. "$(dirname "$0")/xtcp_lib.sh"

ADDR1=198.51.100.1
ADDR2=198.51.100.2
ns1=
ns2=
SIZES=${XTCP_CONNECT_SIZES:-0 1 1460 1461 65536 1048576 67108864}

# topo CLIENT_STACK SERVER_STACK: sets ns1 (client) and ns2 (server)
topo() {
	xtcp_lib_ns_create ns1 ns2
	xtcp_lib_veth "$ns1" veth1 "$ns2" veth2
	if [ "$1" = xtcp ]; then
		xtcp_lib_attach "$ns1" veth1 "$ADDR1/24"
	else
		xtcp_lib_native "$ns1" veth1 "$ADDR1/24"
	fi
	if [ "$2" = xtcp ]; then
		xtcp_lib_attach "$ns2" veth2 "$ADDR2/24"
	else
		xtcp_lib_native "$ns2" veth2 "$ADDR2/24"
	fi
}

stack_arg() {
	[ "$1" = xtcp ] && echo XTCP || echo TCP
}

# transfer CLIENT_STACK SERVER_STACK SIZE [-r]
transfer() {
	local cs=$1 ss=$2 size=$3 echo_flag=${4-} port srv_out cli_out
	local srv_line cli_line hash
	if [ "$cs" = xtcp ] || [ "$ss" = xtcp ]; then
		xtcp_lib_require_xtcp
	fi
	topo "$cs" "$ss"
	port=$(xtcp_lib_port)
	srv_out=$xtcp_lib_tmp/srv.$BASHPID
	cli_out=$xtcp_lib_tmp/cli.$BASHPID

	xtcp_lib_bg "$ns2" "$XTCP_CONNECT" -s "$(stack_arg "$ss")" -l \
		-p "$port" -b "$ADDR2" -t 150 ${echo_flag:+"$echo_flag"} \
		>"$srv_out"
	xtcp_lib_wait_listen "$ns2" "$ss" "$port"
	ip netns exec "$ns1" "$XTCP_CONNECT" -s "$(stack_arg "$cs")" \
		-c "$ADDR2" -p "$port" -n "$size" -t 150 \
		${echo_flag:+"$echo_flag"} >"$cli_out"
	wait "$xtcp_lib_bg_pid"

	srv_line=$(cat "$srv_out")
	cli_line=$(head -n1 "$cli_out")
	xtcp_lib_log "client: $cli_line"
	xtcp_lib_log "server: $srv_line"
	hash=${cli_line##* }
	[ "$cli_line" = "sent $size sha256 $hash" ] ||
		xtcp_lib_fail "client sent the wrong size"
	[ "$srv_line" = "received $size sha256 $hash" ] ||
		xtcp_lib_fail "server hash or size differs from the client's"
}

xtcp_lib_init
for pair in ${XTCP_CONNECT_PAIRS:-xtcp:xtcp xtcp:tcp tcp:xtcp}; do
	cs=${pair%:*}
	ss=${pair#*:}
	for size in $SIZES; do
		xtcp_lib_test "connect_${cs}_to_${ss}_${size}" transfer "$cs" "$ss" "$size"
	done
	xtcp_lib_test "connect_${cs}_to_${ss}_echo_1048576" \
		transfer "$cs" "$ss" 1048576 -r
	xtcp_lib_test "connect_${cs}_to_${ss}_echo_1461" \
		transfer "$cs" "$ss" 1461 -r
done
xtcp_lib_exit
