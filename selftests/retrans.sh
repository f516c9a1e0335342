#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Exactly one data segment is dropped in mid-transfer; the transfer must
# still end with the right SHA-256 and the sender must count a retransmit.
# The drop is an iptables rule in a native namespace, deterministic:
#
#   -m u32 (IP total length >= 256: a data segment, not an ACK)
#   -m statistic --mode nth --every 1000000 --packet 20: the 21st of them
#
# xtcp_to_tcp:   ns1 XTCP client --veth-- ns2 native server (INPUT drop)
# tcp_to_xtcp:   ns1 native 192.0.2.1 gw .254 --- nsr router (FORWARD drop)
#                --- ns2 XTCP 198.51.100.1 gw .254
# xtcp_to_xtcp:  ns1 XTCP 192.0.2.1 gw .254 --- nsr router (FORWARD drop)
#                --- ns2 XTCP 198.51.100.1 gw .254
#
# A native sender's own OUTPUT (or POSTROUTING) drop is no loss on the wire:
# the error goes back to tcp_transmit_skb(), which sends the segment again
# at once, so the receiver never sees a hole. Hence the router.
#
# iptables is whichever Debian's alternatives pick (iptables-nft by
# default, iptables-legacy otherwise). The kernel cannot load netfilter
# modules on demand in the test VM (its modprobe helper runs in the
# initramfs, which has no modprobe), so they are loaded here; on the debug
# kernel they are built in (scripts/vm/debug.config).

# shellcheck source=xtcp_lib.sh
. "$(dirname "$0")/xtcp_lib.sh"

SIZE=1048576
# a transfer's time limit, stretched on slow (debug) kernels
TMO=$((100 * ${XTCP_TIMEOUT_SCALE:-1}))
ns1=
ns2=
nsr=

# Everything either iptables backend needs for the rules below; modules
# that are built in or missing are the kernel's business: the first
# iptables command fails the test if netfilter is not usable.
NF_MODULES=(nf_tables nft_compat ip_tables iptable_filter x_tables
	xt_u32 xt_statistic)

netfilter_load() {
	xtcp_lib_require_cmd iptables
	modprobe -q -a "${NF_MODULES[@]}" 2>/dev/null || true
}

drop_rule() {
	echo -m u32 --u32 "0&0xFFFF=256:65535" \
		-m statistic --mode nth --every 1000000 --packet 20 -j DROP
}

# transfer CLI_NS CLI_STACK SRV_NS SRV_STACK SRV_ADDR
transfer() {
	local port out
	port=$(xtcp_lib_port)
	out=$xtcp_lib_tmp/srv.$BASHPID
	xtcp_lib_connect_bg "$3" -s "$4" -l -p "$port" -t "$TMO" >"$out"
	xtcp_lib_wait_listen "$3" "${4,,}" "$port"
	cli=$(xtcp_lib_connect "$1" -s "$2" -c "$5" -p "$port" -n "$SIZE" -t "$TMO")
	wait "$xtcp_lib_bg_pid"
	srv=$(cat "$out")
	xtcp_lib_log "client: $cli"
	xtcp_lib_log "server: $srv"
	[ "${cli#sent }" = "${srv#received }" ] ||
		xtcp_lib_fail "hash or size differs"
	[ "${cli#sent "$SIZE" }" != "$cli" ] || xtcp_lib_fail "short transfer"
}

# dropped NS CHAIN: the rule's packet count, which must be exactly 1
check_dropped() {
	local n
	n=$(ip netns exec "$1" iptables -L "$2" -v -n -x |
		awk '$3 == "DROP" { print $1 }')
	xtcp_lib_log "packets dropped by the rule in $2: $n"
	[ "$n" = 1 ] || xtcp_lib_fail "rule dropped '$n' packets, not 1"
}

pair_topo() {
	xtcp_lib_ns_create ns1 ns2
	xtcp_lib_veth "$ns1" veth1 "$ns2" veth2
}

test_xtcp_to_tcp() {
	local before after
	xtcp_lib_require_xtcp
	netfilter_load
	pair_topo
	xtcp_lib_attach "$ns1" veth1 192.0.2.1/24
	xtcp_lib_native "$ns2" veth2 192.0.2.2/24
	# shellcheck disable=SC2046 # the rule is words
	ip netns exec "$ns2" iptables -A INPUT -s 192.0.2.1 -p tcp $(drop_rule)
	before=$(xtcp_lib_counter "$ns1" RetransSegs)
	transfer "$ns1" XTCP "$ns2" TCP 192.0.2.2
	after=$(xtcp_lib_counter "$ns1" RetransSegs)
	xtcp_lib_log "RetransSegs $before -> $after"
	check_dropped "$ns2" INPUT
	[ "$after" -gt "$before" ] || xtcp_lib_fail "RetransSegs did not grow"
}

# routed_topo CLIENT_STACK: ns1 (client, XTCP or native) and ns2 (XTCP
# server) on either side of the native router nsr
routed_topo() {
	xtcp_lib_ns_create ns1 nsr ns2
	xtcp_lib_veth "$ns1" veth1 "$nsr" vethr1
	xtcp_lib_veth "$ns2" veth2 "$nsr" vethr2
	xtcp_lib_native "$nsr" vethr1 192.0.2.254/24
	xtcp_lib_native "$nsr" vethr2 198.51.100.254/24
	ip netns exec "$nsr" sysctl -qw net.ipv4.ip_forward=1
	if [ "$1" = xtcp ]; then
		xtcp_lib_attach "$ns1" veth1 192.0.2.1/24 192.0.2.254
	else
		xtcp_lib_native "$ns1" veth1 192.0.2.1/24
		ip -n "$ns1" route add default via 192.0.2.254
	fi
	xtcp_lib_attach "$ns2" veth2 198.51.100.1/24 198.51.100.254
	# shellcheck disable=SC2046 # the rule is words
	ip netns exec "$nsr" iptables -A FORWARD -s 192.0.2.1 -p tcp $(drop_rule)
}

test_tcp_to_xtcp() {
	local before after
	xtcp_lib_require_xtcp
	netfilter_load
	routed_topo tcp
	before=$(xtcp_lib_counter "$ns2" OfoQueue)
	transfer "$ns1" TCP "$ns2" XTCP 198.51.100.1
	after=$(xtcp_lib_counter "$ns2" OfoQueue)
	# XTCP sees the hole: what came after it went to the OFO queue
	xtcp_lib_log "OfoQueue $before -> $after"
	check_dropped "$nsr" FORWARD
	[ "$after" -gt "$before" ] || xtcp_lib_fail "OfoQueue did not grow"
}

test_xtcp_to_xtcp() {
	local before after
	xtcp_lib_require_xtcp
	netfilter_load
	routed_topo xtcp
	before=$(xtcp_lib_counter "$ns1" RetransSegs)
	transfer "$ns1" XTCP "$ns2" XTCP 198.51.100.1
	after=$(xtcp_lib_counter "$ns1" RetransSegs)
	xtcp_lib_log "RetransSegs $before -> $after"
	check_dropped "$nsr" FORWARD
	[ "$after" -gt "$before" ] || xtcp_lib_fail "RetransSegs did not grow"
}

xtcp_lib_init
xtcp_lib_test retrans_xtcp_to_tcp test_xtcp_to_tcp
xtcp_lib_test retrans_tcp_to_xtcp_routed test_tcp_to_xtcp
xtcp_lib_test retrans_xtcp_to_xtcp_routed test_xtcp_to_xtcp
xtcp_lib_exit
