#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# XTCP owns its address: it answers ARP and ping itself (the device has no
# kernel address), and resolves its peers by ARP.
#
#   nsx: veth1, XTCP 203.0.113.1/24 <--veth--> nsn: veth2 203.0.113.2/24

# shellcheck source=xtcp_lib.sh
. "$(dirname "$0")/xtcp_lib.sh"

nsx=
nsn=

topo() {
	xtcp_lib_ns_create nsx nsn
	xtcp_lib_veth "$nsx" veth1 "$nsn" veth2
	xtcp_lib_attach "$nsx" veth1 203.0.113.1/24
	xtcp_lib_native "$nsn" veth2 203.0.113.2/24
}

# ping from the native side: XTCP answers ARP, then the echo requests
test_ping() {
	local before after mac lladdr
	xtcp_lib_require_xtcp
	xtcp_lib_require_cmd ping
	topo
	[ -z "$(ip -n "$nsx" -4 addr show dev veth1)" ] ||
		xtcp_lib_fail "the XTCP device has a kernel address"
	before=$(xtcp_lib_counter "$nsx" OutEchoReplies)
	ip netns exec "$nsn" ping -c 3 -i 0.2 -W 2 203.0.113.1 |
		sed 's/^/# /'
	after=$(xtcp_lib_counter "$nsx" OutEchoReplies)
	xtcp_lib_log "OutEchoReplies $before -> $after"
	[ "$after" -ge $((before + 3)) ] || xtcp_lib_fail "echo replies not counted"
	# the native side learnt XTCP's MAC by ARP
	mac=$(ip -n "$nsx" -br link show dev veth1 | awk '{ print $3 }')
	lladdr=$(ip -n "$nsn" neigh show 203.0.113.1 dev veth2 |
		awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
	xtcp_lib_log "veth1 $mac, neighbour entry $lladdr"
	if [ -z "$mac" ] || [ "$mac" != "$lladdr" ]; then
		xtcp_lib_fail "native neighbour entry is not XTCP's MAC"
	fi
}

# XTCP connects out: it has to resolve the native peer first
test_arp_resolve() {
	local port neighs show
	xtcp_lib_require_xtcp
	topo
	port=$(xtcp_lib_port)
	xtcp_lib_connect_bg "$nsn" -s TCP -l -p "$port" -t 30 >/dev/null
	xtcp_lib_wait_listen "$nsn" tcp "$port"
	xtcp_lib_connect "$nsx" -s XTCP -c 203.0.113.2 -p "$port" -n 1000 \
		-t 30 >/dev/null
	wait "$xtcp_lib_bg_pid"
	show=$(ip netns exec "$nsx" "$XTCPCTL" link show)
	xtcp_lib_log "$show"
	neighs=$(awk '$1 == "veth1:" { for (i = 2; i < NF; i++)
		if ($i == "neighs") print $(i + 1) }' <<<"$show")
	[ "${neighs:-0}" -ge 1 ] || xtcp_lib_fail "no neighbour on veth1"
	[ "$(xtcp_lib_counter "$nsx" OutArpRequests)" -ge 1 ] ||
		xtcp_lib_fail "OutArpRequests did not count"
}

xtcp_lib_init
xtcp_lib_test ping_xtcp_address test_ping
xtcp_lib_test arp_resolves_native_peer test_arp_resolve
xtcp_lib_exit
