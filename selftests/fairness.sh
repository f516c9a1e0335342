#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fairness (issue 17): one XTCP flow and one native flow share a bottleneck
# and each must get between 1/3 and 2/3 of the bytes.
#
#   nsx  XTCP   192.0.2.1    --- x0 --+
#                                     nsr (router) -- rs, tbf --- nss 203.0.113.1
#   nsn  native 198.51.100.1 --- n0 --+                          native receiver
#
# fairness_xtcp_tcp: nsx sends with XTCP, nsn with Linux. The reference,
# fairness_tcp_tcp_reference, runs first with both senders native (CUBIC
# against CUBIC): it shows the topology and the bounds hold for Linux, and
# how full the link gets on this machine.
#
# Both senders send bulk data to two native servers in nss (xtcp_connect,
# one port each), so only the senders' stacks (and congestion controls)
# differ: XTCP's (Reno today, CUBIC once issue 17 lands) and Linux's
# (CUBIC). The router's egress towards nss is the bottleneck: tbf at
# XTCP_FAIR_RATE Mbit/s, burst 64 KB, 20 ms of queue. Offloads are the
# veths' defaults on every link.
#
# Once both flows have delivered bytes and XTCP_FAIR_WARMUP seconds have
# passed (slow start over), the bytes each server connection received
# (ss -ti, bytes_received) are read, and again XTCP_FAIR_SECS seconds
# later; the difference is each flow's share. The test asserts that both
# flows made progress and that each has between 1/3 and 2/3 of the total,
# and prints the split and how full the link was (if the two flows
# together move much less than the rate, the VM's CPU was the bottleneck
# and the split says more about CPU than about congestion control).
#
# Rate: 100 Mbit/s, issue 17's, by default (XTCP_FAIR_RATE in Mbit/s
# changes it); on a slowed kernel (XTCP_TIMEOUT_SCALE > 1) 100 / (5 *
# scale), 2 Mbit/s on the debug kernel: there the CPU, not the link, was
# the bottleneck, and the split measured each stack's CPU cost rather than
# its congestion control. At 100 Mbit/s the XTCP flow got less than 1/3;
# at 10 Mbit/s the two native reference flows filled only 49% of the
# link, and the lighter XTCP flow took 68% (3 December 2026). The TCG VM fills it: two native flows through the router
# kept the tbf busy at its rate (272 MB sent in about 21 s, with
# overlimits and drops, 2 December 2026); the reference's "link use" line
# says so on every run. Duration: 30 s by default, as the issue asks.
#
# Not deterministic: the split depends on both congestion controls and on
# the VM's scheduling; the bounds are the issue's. Measured with
# XTCP_FAIR_SECS=10 (2 December 2026, XTCP before issue 17): the native
# reference split 33.7% / 66.3% (link use 94%), just inside the bounds, so
# the 30 s default matters; XTCP (Reno, no SACK) against CUBIC got 14.0%
# (link use 95%) and fails, as expected until issue 17's CUBIC and SACK.
# In 3 of 4 runs the XTCP flow also crashed the VM (skb_over_panic in
# xtcp_fragment() from xtcp_retransmit_head()), a module bug.

# shellcheck source=xtcp_lib.sh
. "$(dirname "$0")/xtcp_lib.sh"

SCALE=${XTCP_TIMEOUT_SCALE:-1}
RATE=${XTCP_FAIR_RATE:-$((SCALE > 1 ? 100 / (5 * SCALE) : 100))}
SECS=${XTCP_FAIR_SECS:-30}
WARMUP=${XTCP_FAIR_WARMUP:-3}
# more than either flow can send in the test's time
HUGE=$((1 << 40))
SRV=203.0.113.1
nsx=
nsn=
nsr=
nss=

# received NS PORT: bytes_received of the established connection whose
# local port is PORT in NS, 0 when there is none yet
received() {
	ss -N "$1" -tinH state established "( sport = :$2 )" |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^bytes_received:/) {
			sub(/^bytes_received:/, "", $i); n = $i } }
			END { print n + 0 }'
}

# test_fairness xtcp|tcp: the first sender's stack (the second is native)
test_fairness() {
	local stack=$1 px py tmo i t0 t1 x0 y0 x1 y1 dx dy tot ms pct
	[ "$stack" = tcp ] || xtcp_lib_require_xtcp
	xtcp_lib_require_cmd tc ss
	# tbf, and ss's netlink diag: without tcp_diag ss falls back to
	# /proc/net/tcp, which has no bytes_received
	modprobe -q -a sch_tbf inet_diag tcp_diag 2>/dev/null || true
	xtcp_lib_ns_create nsx nsn nsr nss
	xtcp_lib_veth "$nsx" x0 "$nsr" rx
	xtcp_lib_veth "$nsn" n0 "$nsr" rn
	xtcp_lib_veth "$nsr" rs "$nss" s0
	xtcp_lib_native "$nsr" rx 192.0.2.254/24
	xtcp_lib_native "$nsr" rn 198.51.100.254/24
	xtcp_lib_native "$nsr" rs 203.0.113.254/24
	ip netns exec "$nsr" sysctl -qw net.ipv4.ip_forward=1
	if [ "$stack" = xtcp ]; then
		xtcp_lib_attach "$nsx" x0 192.0.2.1/24 192.0.2.254
	else
		xtcp_lib_native "$nsx" x0 192.0.2.1/24
		ip -n "$nsx" route add default via 192.0.2.254
	fi
	xtcp_lib_native "$nsn" n0 198.51.100.1/24
	ip -n "$nsn" route add default via 198.51.100.254
	xtcp_lib_native "$nss" s0 "$SRV/24"
	ip -n "$nss" route add default via 203.0.113.254
	tc -n "$nsr" qdisc replace dev rs root tbf rate "${RATE}mbit" \
		burst 64kb latency 20ms
	xtcp_lib_log "bottleneck: $(tc -n "$nsr" qdisc show dev rs)"

	px=$(xtcp_lib_port)
	py=$((px + 1))
	tmo=$(((SECS + WARMUP + 60) * SCALE))
	xtcp_lib_connect_bg "$nss" -s TCP -l -p "$px" -b "$SRV" -t "$tmo" >/dev/null
	xtcp_lib_connect_bg "$nss" -s TCP -l -p "$py" -b "$SRV" -t "$tmo" >/dev/null
	xtcp_lib_wait_listen "$nss" tcp "$px"
	xtcp_lib_wait_listen "$nss" tcp "$py"
	xtcp_lib_connect_bg "$nsx" -s "${stack^^}" -c "$SRV" -p "$px" -n "$HUGE" -t "$tmo" >/dev/null
	xtcp_lib_connect_bg "$nsn" -s TCP -c "$SRV" -p "$py" -n "$HUGE" -t "$tmo" >/dev/null

	# both flows running, then the warm-up
	i=$((SECONDS + 20 * SCALE))
	while [ "$(received "$nss" "$px")" = 0 ] || [ "$(received "$nss" "$py")" = 0 ]; do
		if [ "$SECONDS" -gt "$i" ]; then
			# what the receiver and the bottleneck saw
			ss -N "$nss" -tin | sed 's/^/# /'
			tc -n "$nsr" -s qdisc show dev rs | sed 's/^/# /'
			xtcp_lib_fail "the flows did not both start within $((20 * SCALE)) s"
		fi
		sleep 0.2
	done
	sleep "$WARMUP"

	t0=$EPOCHREALTIME
	x0=$(received "$nss" "$px")
	y0=$(received "$nss" "$py")
	sleep "$SECS"
	t1=$EPOCHREALTIME
	x1=$(received "$nss" "$px")
	y1=$(received "$nss" "$py")
	ms=$(((${t1/./} - ${t0/./}) / 1000))
	dx=$((x1 - x0))
	dy=$((y1 - y0))
	tot=$((dx + dy))
	xtcp_lib_log "over $ms ms: first ($stack) flow $dx bytes ($((dx * 8 / (ms > 0 ? ms : 1) / 1000)) Mbit/s)," \
		"second (native) flow $dy bytes ($((dy * 8 / (ms > 0 ? ms : 1) / 1000)) Mbit/s)"
	[ "$dx" -gt 0 ] || xtcp_lib_fail "the first ($stack) flow made no progress"
	[ "$dy" -gt 0 ] || xtcp_lib_fail "the second (native) flow made no progress"
	pct=$((dx * 1000 / tot))
	xtcp_lib_log "split: first ($stack) $((pct / 10)).$((pct % 10))%, second (native)" \
		"$(((1000 - pct) / 10)).$(((1000 - pct) % 10))%;" \
		"link use $((tot * 8 / (ms > 0 ? ms : 1) / 10 / RATE))% of $RATE Mbit/s"
	if [ $((3 * dx)) -lt "$tot" ] || [ $((3 * dx)) -gt $((2 * tot)) ]; then
		xtcp_lib_fail "the first ($stack) flow's share is outside [1/3, 2/3]"
	fi
}

xtcp_lib_init
xtcp_lib_test fairness_tcp_tcp_reference test_fairness tcp
xtcp_lib_test fairness_xtcp_tcp test_fairness xtcp
xtcp_lib_exit
