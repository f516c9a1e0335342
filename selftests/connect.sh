#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bulk data through XTCP, checked with SHA-256, between two namespaces:
#
#   ns1                               ns2
#   veth1 198.51.100.1/24 <------> veth2 198.51.100.2/24
#
# Each side is XTCP (attached to XTCP; the device has no kernel address)
# or native TCP (ip addr add). For each pair (xtcp->xtcp, xtcp->tcp,
# tcp->xtcp) one topology and one server, which accepts one connection per
# size in turn: sizes 0 1 1460 1461 64KiB 1MiB 64MiB one way, then 1461 and
# 1MiB echoed back (-r) through a second, echoing server. Every transfer's
# size and hash must be the same at both ends. An XTCP end's frames never
# reach the kernel's own IPv4 input (XTCP's rx_handler delivers them to
# XTCP alone): that netns's Ip InReceives (/proc/net/snmp) stays where it
# was.
#
# XTCP_CONNECT_SIZES, XTCP_CONNECT_ECHO_SIZES and XTCP_CONNECT_PAIRS
# override the lists (tcp:tcp is the native reference, useful to check the
# script itself). XTCP_CONNECT_TIMEOUT (seconds) bounds each client, so a
# stalled transfer fails on its own instead of taking the whole program's
# time; a server gets twice that for all its connections.

# shellcheck source=xtcp_lib.sh
. "$(dirname "$0")/xtcp_lib.sh"

ADDR1=198.51.100.1
ADDR2=198.51.100.2
ns1=
ns2=
SIZES=${XTCP_CONNECT_SIZES:-0 1 1460 1461 65536 1048576 67108864}
ECHO_SIZES=${XTCP_CONNECT_ECHO_SIZES:-1461 1048576}
TIMEOUT=${XTCP_CONNECT_TIMEOUT:-$((100 * ${XTCP_TIMEOUT_SCALE:-1}))}

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

# ip_in_receives NS: the kernel's IPv4 input count in NS (Ip InReceives)
ip_in_receives() {
	ip netns exec "$1" awk '$1 == "Ip:" {
		if (!n) { for (i = 2; i <= NF; i++) if ($i == "InReceives") n = i }
		else { print $n; exit } }' /proc/net/snmp
}

stack_arg() {
	if [ "$1" = xtcp ]; then echo XTCP; else echo TCP; fi
}

# transfers CLIENT_STACK SERVER_STACK -r|- SIZE...: one server for all the
# sizes, one client per size; checked once the server is done (an echoing
# server prints its line after the client may already have finished)
transfers() {
	local cs=$1 ss=$2 echo_flag=$3 port out size i hash line
	local cli=() srv=() in1 in2
	shift 3
	[ "$echo_flag" = -r ] || echo_flag=
	if [ "$cs" = xtcp ] || [ "$ss" = xtcp ]; then
		xtcp_lib_require_xtcp
	fi
	topo "$cs" "$ss"
	port=$(xtcp_lib_port)
	out=$xtcp_lib_tmp/srv.$BASHPID
	in1=$(ip_in_receives "$ns1")
	in2=$(ip_in_receives "$ns2")

	xtcp_lib_connect_bg "$ns2" -s "$(stack_arg "$ss")" -l -p "$port" \
		-b "$ADDR2" -n $# -t $((2 * TIMEOUT)) ${echo_flag:+"$echo_flag"} \
		>"$out"
	xtcp_lib_wait_listen "$ns2" "$ss" "$port"
	for size in "$@"; do
		# the first line: "sent SIZE sha256 HEX" (then "echoed ..." with -r,
		# which the client checks itself)
		xtcp_lib_connect "$ns1" -s "$(stack_arg "$cs")" -c "$ADDR2" \
			-p "$port" -n "$size" -t "$TIMEOUT" \
			${echo_flag:+"$echo_flag"} >"$out.cli" ||
			xtcp_lib_fail "client of $size bytes failed (exit $?)"
		read -r line <"$out.cli" || line=
		cli+=("$line")
		xtcp_lib_log "client: $line"
		[ "${cli[-1]}" = "sent $size sha256 ${cli[-1]##* }" ] ||
			xtcp_lib_fail "client of $size bytes failed"
	done
	wait "$xtcp_lib_bg_pid"
	mapfile -t srv <"$out"
	i=0
	for size in "$@"; do
		hash=${cli[i]##* }
		xtcp_lib_log "server: ${srv[i]-}"
		[ "${srv[i]-}" = "received $size sha256 $hash" ] ||
			xtcp_lib_fail "server's size or hash differs from the client's"
		i=$((i + 1))
	done
	[ ${#srv[@]} = $# ] || xtcp_lib_fail "server printed ${#srv[@]} lines, not $#"
	if [ "$cs" = xtcp ] && [ "$(ip_in_receives "$ns1")" != "$in1" ]; then
		xtcp_lib_fail "the client's kernel IPv4 input saw XTCP's frames"
	fi
	if [ "$ss" = xtcp ] && [ "$(ip_in_receives "$ns2")" != "$in2" ]; then
		xtcp_lib_fail "the server's kernel IPv4 input saw XTCP's frames"
	fi
}

xtcp_lib_init
for pair in ${XTCP_CONNECT_PAIRS:-xtcp:xtcp xtcp:tcp tcp:xtcp}; do
	cs=${pair%:*}
	ss=${pair#*:}
	# shellcheck disable=SC2086 # lists of sizes
	xtcp_lib_test "connect_${cs}_to_${ss}" transfers "$cs" "$ss" - $SIZES
	# shellcheck disable=SC2086
	xtcp_lib_test "connect_${cs}_to_${ss}_echo" transfers "$cs" "$ss" -r $ECHO_SIZES
done
xtcp_lib_exit
