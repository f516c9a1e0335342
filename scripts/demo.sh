#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# XTCP in five minutes: `make run` boots a VM and runs this in it.
#
# Three network namespaces hang off one bridge, like three machines on one
# switch. Two give their NIC to XTCP, the third is a plain Linux host:
#
#     xtcp-demo-a                 xtcp-demo-sw                xtcp-demo-b
#   +----------------+        +-----------------+        +----------------+
#   | XTCP           | a0  sa |                 | sb  b0 | XTCP           |
#   | 192.0.2.1/24   |--------|      br0        |--------| 192.0.2.2/24   |
#   +----------------+        +-----------------+        +----------------+
#                                   | sc
#                                   | c0
#                          +---------------------+
#                          | Linux TCP           |
#                          | 192.0.2.3/24        |   xtcp-demo-c
#                          +---------------------+
#
# Then it moves data XTCP -> XTCP, XTCP -> Linux and Linux -> XTCP with
# selftests/xtcp_connect and checks that what arrived is what was sent.
#
# Environment:
#   XTCP_DEMO_BYTES   bytes per transfer (default 1048576)
#   XTCP_DEMO_KEEP=1  leave the namespaces up afterwards (make run SHELL_AFTER=1)
#   XTCP_MODULE_PARAMS  parameters for insmod
set -eEu

repo=$(cd "$(dirname "$0")/.." && pwd)
KO=$repo/module/xtcp.ko
XTCPCTL=$repo/tools/xtcpctl
CONNECT=$repo/selftests/xtcp_connect
BYTES=${XTCP_DEMO_BYTES:-1048576}
KEEP=${XTCP_DEMO_KEEP:-}

NS_A=xtcp-demo-a
NS_B=xtcp-demo-b
NS_C=xtcp-demo-c
NS_SW=xtcp-demo-sw
ADDR_A=192.0.2.1
ADDR_B=192.0.2.2
ADDR_C=192.0.2.3

# In the VM stdout is always a serial tty; vm-run says what the user has.
if [ "${VMRUN_HOST_TTY:-$([ -t 1 ] && echo 1)}" = 1 ]; then
	B=$(printf '\033[1m') G=$(printf '\033[32m') R=$(printf '\033[31m') N=$(printf '\033[0m')
else
	B='' G='' R='' N=''
fi

say() {
	printf '\n%s== %s ==%s\n' "$B" "$*" "$N"
}

explain() {
	printf '   %s\n' "$@"
}

# run CMD...: show a command, then run it
run() {
	printf '%s$ %s%s\n' "$B" "$*" "$N"
	"$@" || die "failed (exit $?): $*"
}

die() {
	printf '%sdemo: %s%s\n' "$R" "$*" "$N" >&2
	exit 1
}

if [ "${VMRUN_GUEST-}" != 1 ] && [ "${XTCP_DEMO_ANYWHERE-}" != 1 ]; then
	die "this loads xtcp.ko and must run inside the VM: use make run (or scripts/vm-run -- $0)"
fi
[ "$(id -u)" = 0 ] || die "needs root"
for f in "$KO" "$XTCPCTL" "$CONNECT"; do
	[ -e "$f" ] || die "$f is missing: build first (make)"
done

cleanup() {
	local rc=$?
	if [ "$KEEP" = 1 ]; then
		say "Left running for you"
		explain "The namespaces are still up. Try:" \
			"  ip netns exec $NS_A $XTCPCTL link show" \
			"  ip netns exec $NS_A $XTCPCTL stats" \
			"  ip netns exec $NS_A cat /proc/net/xtcp" \
			"  ip netns exec $NS_C ping -c 3 $ADDR_B" \
			"  ip netns exec $NS_B $CONNECT -s XTCP -l -p 9000 &" \
			"  ip netns exec $NS_A $CONNECT -s XTCP -c $ADDR_B -p 9000 -n 100000"
	else
		for ns in "$NS_A" "$NS_B"; do
			ip netns exec "$ns" "$XTCPCTL" link del dev "${ns#xtcp-demo-}0" >/dev/null 2>&1 || true
		done
		for ns in "$NS_A" "$NS_B" "$NS_C" "$NS_SW"; do
			ip netns del "$ns" 2>/dev/null || true
		done
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'die "step failed: $BASH_COMMAND (line $LINENO)"' ERR

say "XTCP demo"
explain "Three hosts (network namespaces) on one switch (a bridge). a and b" \
	"run XTCP on their NIC, c is ordinary Linux. We move $BYTES bytes between" \
	"each kind of pair and check that every byte arrived."
cat <<EOF
       $NS_A                $NS_SW                $NS_B
     +---------------+       +-----------+       +---------------+
     | XTCP          | a0 sa |           | sb b0 | XTCP          |
     | $ADDR_A/24  |-------|    br0    |-------| $ADDR_B/24  |
     +---------------+       +-----------+       +---------------+
                                   | sc
                                   | c0
                           +---------------+
                           | Linux TCP     |
                           | $ADDR_C/24  |   $NS_C
                           +---------------+
EOF

say "Loading the XTCP module"
explain "xtcp.ko adds a socket family, AF_XTCP, with a TCP stack of its own." \
	"It does not use the kernel's TCP: it owns the NICs it is given."
modprobe -q veth 2>/dev/null || true
modprobe -q bridge 2>/dev/null || true
if [ ! -d /sys/module/xtcp ]; then
	read -r -a params <<<"${XTCP_MODULE_PARAMS-}"
	run insmod "$KO" "${params[@]}"
fi

say "Building three hosts and a switch"
explain "Each host is a network namespace; veth pairs are the cables and a" \
	"bridge in a fourth namespace is the switch."
for ns in "$NS_A" "$NS_B" "$NS_C" "$NS_SW"; do
	ip netns del "$ns" 2>/dev/null || true
	run ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
run ip -n "$NS_SW" link add br0 type bridge
ip -n "$NS_SW" link set br0 up
for h in a b c; do
	ns=xtcp-demo-$h
	run ip -n "$NS_SW" link add "s$h" type veth peer name "${h}0" netns "$ns"
	ip -n "$NS_SW" link set "s$h" master br0 up
	ip -n "$ns" link set "${h}0" up
done

say "Giving a0 and b0 to XTCP"
explain "xtcpctl link add hands a NIC to XTCP with an IPv4 address. XTCP then" \
	"answers ARP and ping on it itself and carries its own TCP; the kernel's" \
	"IP stack has no address there. Host c is ordinary Linux."
run ip netns exec "$NS_A" "$XTCPCTL" link add dev a0 addr "$ADDR_A/24"
run ip netns exec "$NS_B" "$XTCPCTL" link add dev b0 addr "$ADDR_B/24"
run ip -n "$NS_C" addr add "$ADDR_C/24" dev c0
run ip netns exec "$NS_A" "$XTCPCTL" link show

say "Ping: Linux host c -> XTCP host a"
explain "The echo replies come from XTCP's own ICMP code."
ping_ok=1
run ip netns exec "$NS_C" ping -c 3 -W 2 "$ADDR_A" || ping_ok=0

# shellcheck disable=SC2016 # awk program
# wait_listen NS xtcp|tcp PORT PID: until /proc/net/{xtcp,tcp} of NS shows
# a listener on PORT (st 0A), the server dies, or 10 s pass.
wait_listen() {
	local ns=$1 file=/proc/net/$2 port i
	port=$(printf '%04X' "$3")
	for ((i = 0; i < 200; i++)); do
		if ip netns exec "$ns" awk -v p=":$port" \
			'NR > 1 && substr($2, length($2) - 4) == p && $4 == "0A" { f = 1 }
			 END { exit !f }' "$file" 2>/dev/null; then
			return 0
		fi
		kill -0 "$4" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

results=()
failed=0

# transfer NAME SRV_NS SRV_STACK CLI_NS CLI_STACK DST PORT
transfer() {
	local name=$1 sns=$2 sst=$3 cns=$4 cst=$5 dst=$6 port=$7
	local sfile cfile spid sent rcvd verdict proc=tcp
	sfile=$(mktemp)
	cfile=$(mktemp)
	[ "$sst" = XTCP ] && proc=xtcp

	say "Transfer: $name"
	explain "Server in $sns listens with $sst on port $port; client in $cns" \
		"connects with $cst and sends $BYTES pseudo-random bytes, then" \
		"closes. Both sides print a SHA-256 of the bytes."
	printf '%s$ ip netns exec %s %s -s %s -l -p %s &%s\n' "$B" "$sns" "$CONNECT" "$sst" "$port" "$N"
	ip netns exec "$sns" "$CONNECT" -s "$sst" -l -p "$port" >"$sfile" 2>&1 &
	spid=$!
	if wait_listen "$sns" "$proc" "$port" "$spid"; then
		# A seed per transfer, so each has its own bytes and hash.
		run ip netns exec "$cns" "$CONNECT" -s "$cst" -c "$dst" -p "$port" -n "$BYTES" \
			-S "$port" >"$cfile" 2>&1 || true
		cat "$cfile"
	else
		echo "server never listened on port $port" >"$cfile"
		kill "$spid" 2>/dev/null || true
	fi
	wait "$spid" || true
	cat "$sfile"

	sent=$(sed -n 's/^sent \([0-9]*\) sha256 \([0-9a-f]*\)$/\1 \2/p' "$cfile")
	rcvd=$(sed -n 's/^received \([0-9]*\) sha256 \([0-9a-f]*\)$/\1 \2/p' "$sfile")
	if [ -n "$sent" ] && [ "$sent" = "$rcvd" ]; then
		verdict="${G}match${N}"
	else
		verdict="${R}MISMATCH${N}"
		failed=$((failed + 1))
		[ -n "$sent" ] || sed 's/^/   client: /' "$cfile"
		[ -n "$rcvd" ] || sed 's/^/   server: /' "$sfile"
	fi
	results+=("$(printf '%-20s sent     %s\n%-20s received %s\n%-20s %s' \
		"$name" "${sent:-nothing}" "" "${rcvd:-nothing}" "" "$verdict")")
	rm -f "$sfile" "$cfile"
}

transfer "XTCP -> XTCP" "$NS_B" XTCP "$NS_A" XTCP "$ADDR_B" 9001
transfer "XTCP -> Linux TCP" "$NS_C" TCP "$NS_A" XTCP "$ADDR_C" 9002
transfer "Linux TCP -> XTCP" "$NS_B" XTCP "$NS_C" TCP "$ADDR_B" 9003

say "What XTCP saw on host a"
explain "/proc/net/xtcp has the columns of /proc/net/tcp: finished" \
	"connections may linger in TIME_WAIT (st 06) for a while."
run ip netns exec "$NS_A" cat /proc/net/xtcp
explain "Counters, like nstat for Linux TCP:"
run ip netns exec "$NS_A" "$XTCPCTL" stats

say "Summary"
explain "Each transfer must deliver exactly the bytes that were sent: same" \
	"count, same SHA-256."
for r in "${results[@]}"; do
	printf '%s\n' "$r" | sed 's/^/   /'
done
if [ "$ping_ok" = 1 ]; then
	explain "ping $ADDR_A from Linux: ${G}answered${N}"
else
	explain "ping $ADDR_A from Linux: ${R}no answer${N}"
	failed=$((failed + 1))
fi
if [ "$failed" = 0 ]; then
	printf '\n%sAll transfers arrived intact.%s\n' "$G" "$N"
else
	printf '\n%s%d check(s) failed.%s\n' "$R" "$failed" "$N"
	exit 1
fi
