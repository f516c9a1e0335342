#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The netem matrix: bulk data both ways over a bad link, every byte checked.
#
#   ns1                                   ns2
#   veth1 198.51.100.1/24 <--------> veth2 198.51.100.2/24
#   netem on veth1's egress            netem on veth2's egress
#
# netem runs on BOTH directions, with the same parameters, so data and ACKs
# alike are lost, reordered, duplicated, corrupted and delayed. Each cell
# moves XTCP_NETEM_BYTES (default 1 MiB, see below) each way: the client
# sends them, the server echoes them back as it reads (xtcp_connect -r), the
# client checks that the echo is the same bytes and the server's SHA-256 of
# what it received is checked against the client's. The cells:
#
#   loss1    loss 1%
#   loss5    loss 5%
#   loss20   loss 20%
#   reorder  delay 10ms reorder 25%  (25% go at once, the rest 10 ms later)
#   dup      duplicate 10%
#   corrupt  corrupt 1%: the hashes must be intact and the receivers'
#            TCP checksum-error counters (XTCP: InCsumErrors of
#            /proc/net/xtcp_stat; native: Tcp InCsumErrors of
#            /proc/net/snmp, nstat's TcpInCsumErrors) must have risen
#   delay    delay 50ms 10ms (jitter; netem reorders what jitter overtakes)
#   all      delay 50ms 10ms loss 1% duplicate 10% corrupt 1% reorder 25%
#
# for each pair client->server: tcp->tcp (the native reference, which shows
# Linux copes with every cell in the time given), xtcp->xtcp, xtcp->tcp and
# tcp->xtcp. One topology per pair; each cell replaces the qdiscs and runs
# one server and one client. Every cell is a TAP line of its own
# (netem_<client>_<server>_<cell>), with its time and the deadline.
#
# Offloads: TSO, GSO and GRO are turned off on both veths (ethtool -K), so
# that netem acts on single segments and not on 64 KB GSO packets. XTCP
# sizes its packets from the device's gso_max_size and gso_max_segs, not
# from the NETIF_F_GSO* features (module/output.c), so gso_max_segs is set
# to 1 as well: with GSO merely off, XTCP would still hand the qdisc 64 KB
# packets and the core would cut them after netem. Native TCP honours both.
#
# netem is random and its seed cannot be set on this kernel (6.1 has no
# TCA_NETEM_PRNG_SEED): a cell is not reproducible packet by packet, only
# in distribution. Each cell prints its netem parameters. The checks do not
# depend on chance except for corrupt's counter: with 1% of about 2 x 6,000
# frames corrupted (XTCP_NETEM_CORRUPT_BYTES, at least 4 MiB each way) and
# a third or more of them hitting the TCP header or data, seeing none is
# below a 1e-15 event (a run counted 50 to 80 per cell); the time a cell
# takes depends on chance too (loss20 most: see deadline()).
#
# Time: each cell has a deadline, generous but bounded: a base plus a time
# per MiB, per cell, measured under TCG on native TCP and today's XTCP
# (NewReno, no SACK) with a margin (the table at deadline() below), times
# XTCP_TIMEOUT_SCALE. The 16 MiB of issue 17 do not fit make check's
# budget (native TCP alone needs about 40 s per MiB at 20% loss each
# way), so the default is 1 MiB per cell, a quarter MiB for loss20 and
# 4 MiB for corrupt: about 3.5 minutes for the four pairs when every cell
# passes, a few more when a loss20 cell waits out a Linux sender's RTO
# stall (see STRICT). XTCP_NETEM_BYTES=16777216 runs the full matrix (every cell
# 16 MiB; an hour or more: raise XTCP_TEST_TIMEOUT to the sum of the
# deadlines the program prints).
#
# Environment:
#   XTCP_NETEM_BYTES   bytes each way per cell (default 1048576, divided
#                      by XTCP_TIMEOUT_SCALE, at least 65536)
#   XTCP_NETEM_LOSS20_BYTES  the same for loss20 (default: a quarter of
#                      the default, or XTCP_NETEM_BYTES when that is set)
#   XTCP_NETEM_CORRUPT_BYTES  the same for the corrupt cell (default: the
#                      larger of XTCP_NETEM_BYTES and 4 MiB / scale, at
#                      least 1 MiB)
#   XTCP_NETEM_CELLS   cells to run (default: all, in the order above)
#   XTCP_NETEM_PAIRS   pairs (default "tcp:tcp xtcp:xtcp xtcp:tcp tcp:xtcp")
#   XTCP_NETEM_DEADLINE  seconds per cell for every cell, instead of the
#                      measured table (before the scale; to measure)
#   XTCP_NETEM_PCAP    N: capture each cell's packets as the server's
#                      veth sends and receives them (tcpdump), and log
#                      the last N of a cell that fails (default 0: none)

# shellcheck source=xtcp_lib.sh
. "$(dirname "$0")/xtcp_lib.sh"

ADDR1=198.51.100.1
ADDR2=198.51.100.2
SCALE=${XTCP_TIMEOUT_SCALE:-1}
[ "$SCALE" -ge 1 ] 2>/dev/null || SCALE=1
# A slower kernel (the debug one, scale 10) moves fewer bytes by default
# rather than waiting ten times as long: 1 MiB / scale, at least 64 KiB.
BYTES=${XTCP_NETEM_BYTES:-$((1048576 / SCALE > 65536 ? 1048576 / SCALE : 65536))}
# 4 MiB / scale, at least 1 MiB, for enough corrupted frames to count
CORRUPT_BYTES=$((4194304 / SCALE > 1048576 ? 4194304 / SCALE : 1048576))
CORRUPT_BYTES=${XTCP_NETEM_CORRUPT_BYTES:-$((BYTES > CORRUPT_BYTES ? BYTES : CORRUPT_BYTES))}
# 20% loss each way costs native TCP about 40 s per MiB here (RTO
# backoff when retransmissions are lost too): a quarter by default
if [ -n "${XTCP_NETEM_BYTES-}" ]; then
	LOSS20_BYTES=${XTCP_NETEM_LOSS20_BYTES:-$BYTES}
else
	LOSS20_BYTES=${XTCP_NETEM_LOSS20_BYTES:-$((BYTES / 4))}
fi
CELLS=${XTCP_NETEM_CELLS:-loss1 loss5 loss20 reorder dup corrupt delay all}
PAIRS=${XTCP_NETEM_PAIRS:-tcp:tcp xtcp:xtcp xtcp:tcp tcp:xtcp}
# netem's queue: the default 1,000 packets would add tail drops of their
# own to the 50 ms cells (2 MiB windows in flight)
LIMIT=100000
# A Linux sender's timer: at 20% loss each way, a Linux sender sometimes
# waits seconds on its RTO, whoever the receiver is. When the ACK for a
# resend that fills a hole is lost, the sender resends again after an
# RTO; the receiver has the bytes, drops the resend as old (below
# Last.ACK.sent, tcp_sequence()) and its duplicate ACK echoes the TSval
# of the first resend (RFC 7323 4.3 lets only a segment at or below
# Last.ACK.sent set TS.Recent, and Linux's receiver does the same). The
# sender times that ACK by its TSecr (tcp_ack_update_rtt()), so its RTT
# sample is the whole wait, its SRTT becomes seconds, and the next lost
# ACK costs an RTO of 5-20 s: the cell misses its deadline. Captures of
# native client and server (tcp:tcp) show it as they show it with an
# XTCP peer (1 in 12 runs and 2 in 20 runs of a loss20 loop, December
# 2026). So a cell that misses its deadline while a native end's SRTT
# (ss -ti) had reached a second is reported as XFAIL with that SRTT:
# the stall is Linux's; a miss without it, or any other failure, fails.
# The same stall can end a long cell (16 MiB at 20%) with ETIMEDOUT on
# the Linux end: tcp_write_timeout() gives up tcp_retries2's 924.6 s after
# retrans_stamp, the first retransmission of a recovery, and Linux clears
# that stamp only once no resent segment is left in flight
# (tcp_retrans_stamp_cleanup()), which at 20% loss each way may not
# happen for many minutes while data still moves. XTCP counts RTOs
# without progress instead (timer.c). So a native end that fails with
# ETIMEDOUT, its SRTT past a second, is an XFAIL too; an XTCP end's
# ETIMEDOUT always fails. Each end's stderr is logged with its name.
# XTCP_NETEM_STRICT=1 makes every such case a failure.
STRICT=${XTCP_NETEM_STRICT:-0}
PCAP=${XTCP_NETEM_PCAP:-0}
[ "$PCAP" -ge 0 ] 2>/dev/null || PCAP=0
SRTT_STALL_MS=1000
ns1=
ns2=

netem_args() {
	case "$1" in
	loss1) echo loss 1% ;;
	loss5) echo loss 5% ;;
	loss20) echo loss 20% ;;
	reorder) echo delay 10ms reorder 25% ;;
	dup) echo duplicate 10% ;;
	corrupt) echo corrupt 1% ;;
	delay) echo delay 50ms 10ms ;;
	all) echo delay 50ms 10ms loss 1% duplicate 10% corrupt 1% reorder 25% ;;
	*) return 1 ;;
	esac
}

cell_bytes() {
	case "$1" in
	corrupt) echo "$CORRUPT_BYTES" ;;
	loss20) echo "$LOSS20_BYTES" ;;
	*) echo "$BYTES" ;;
	esac
}

# deadline CELL BYTES: seconds for one cell's transfer, before the scale:
# BASE (the handshake: a lost SYN costs 1 s, two 3 s; the close; a few
# RTOs) plus PER_MIB per MiB. Measured under TCG on 2 December 2026, 1 MiB
# each way per cell (4 MiB for corrupt), seconds, on the stock kernel:
#
#   cell      tcp->tcp  xtcp->tcp  tcp->xtcp  xtcp->xtcp   deadline
#   loss1        0.4       0.5        0.4        0.3       20 + 10/MiB
#   loss5        0.4       4.4        3.7        1.2       30 + 20/MiB
#   loss20      43.2     >60        >60         33.0       60 + 120/MiB
#   reorder      3.4       1.3        1.4        2.0       20 + 10/MiB
#   dup          0.4       0.3        0.3        0.4       20 + 5/MiB
#   corrupt      0.8       1.8        2.9        0.9       20 + 5/MiB
#   delay        1.2      14.2       11.3       11.1       20 + 40/MiB
#   all         19.1      11.4       10.3       11.8       40 + 40/MiB
#
# (XTCP then: NewReno, no SACK, module of main at 5650464.) Each deadline
# is 3 to 10 times the slowest stack that finished; loss20's time is
# dominated by RTO backoff and varies the most (hence its quarter MiB).
deadline() {
	local base per_mib
	if [ -n "${XTCP_NETEM_DEADLINE-}" ]; then
		echo "$XTCP_NETEM_DEADLINE"
		return
	fi
	case "$1" in
	loss1) base=20 per_mib=10 ;;
	loss5) base=30 per_mib=20 ;;
	loss20) base=60 per_mib=120 ;;
	reorder) base=20 per_mib=10 ;;
	dup) base=20 per_mib=5 ;;
	corrupt) base=20 per_mib=5 ;;
	delay) base=20 per_mib=40 ;;
	all) base=40 per_mib=40 ;;
	esac
	echo $((base + (per_mib * $2 + 1048575) / 1048576))
}

stack_arg() {
	if [ "$1" = xtcp ]; then echo XTCP; else echo TCP; fi
}

# topo CLIENT_STACK SERVER_STACK: ns1 (client) and ns2 (server), offloads
# off on both veths
topo() {
	local ns dev
	xtcp_lib_ns_create ns1 ns2
	xtcp_lib_veth "$ns1" veth1 "$ns2" veth2
	for ns in "$ns1:veth1" "$ns2:veth2"; do
		dev=${ns#*:}
		ns=${ns%:*}
		ip -n "$ns" link set dev "$dev" gso_max_segs 1
		ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off >/dev/null
	done
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

# csum_errors NS STACK: the TCP checksum-error counter of NS's stack
csum_errors() {
	if [ "$2" = xtcp ]; then
		xtcp_lib_counter "$1" InCsumErrors
	else
		xtcp_lib_snmp "$1" Tcp InCsumErrors
	fi
}

# state_watch NS STACK PORT OUT PID: until killed or PID is gone, every
# second, the connections on PORT in NS as their stack shows them (ss -tni
# for native TCP, /proc/net/xtcp's lines for XTCP) into OUT.state, the last
# sight of them for a cell that fails; and for native TCP the largest SRTT
# seen (ms) into OUT
state_watch() {
	local max=0 v hex st
	hex=$(printf ':%04X ' "$3")
	while sleep 1 && kill -0 "$5" 2>/dev/null; do
		if [ "$2" = xtcp ]; then
			st=$(ip netns exec "$1" grep -F "$hex" /proc/net/xtcp)
		else
			st=$(ip netns exec "$1" ss -tniH state all \
				"( sport = :$3 or dport = :$3 )" 2>/dev/null)
			for v in $(echo "$st" | grep -o ' rtt:[0-9]*' | cut -d: -f2); do
				[ "$v" -gt "$max" ] && max=$v
			done
		fi
		echo "$st" >"$4.state"
		echo "$max" >"$4"
	done
}

# one_cell CS SS CELL: one transfer through netem CELL; prints nothing on
# success but the log lines, and leaves "pass|fail SECONDS DEADLINE" in
# $xtcp_lib_tmp/cell
one_cell() {
	local cs=$1 ss=$2 cell=$3 bytes tmo port out cli srv t0 t1 ms rc=0
	local c1=0 c2=0 c1b c2b args watch n v srtt gaveup
	bytes=$(cell_bytes "$cell")
	tmo=$(($(deadline "$cell" "$bytes") * SCALE))
	args=$(netem_args "$cell")
	# (set -e does not hold here: one_cell runs left of a ||)
	# shellcheck disable=SC2086 # the netem parameters are words
	if ! tc -n "$ns1" qdisc replace dev veth1 root netem limit "$LIMIT" $args ||
		! tc -n "$ns2" qdisc replace dev veth2 root netem limit "$LIMIT" $args; then
		xtcp_lib_log "FAIL: $cell: tc qdisc replace ... netem $args failed"
		return 1
	fi
	xtcp_lib_log "cell $cell: netem limit $LIMIT $args on veth1 and veth2;" \
		"$bytes bytes each way, deadline ${tmo} s"
	if [ "$cell" = corrupt ]; then
		c1=$(csum_errors "$ns1" "$cs")
		c2=$(csum_errors "$ns2" "$ss")
	fi
	port=$(xtcp_lib_port)
	out=$xtcp_lib_tmp/srv.$BASHPID.$cell
	# the server gets the client's deadline plus the time to see its EOF
	xtcp_lib_connect_bg "$ns2" -s "$(stack_arg "$ss")" -l -p "$port" \
		-b "$ADDR2" -r -t $((tmo + 10)) >"$out" 2>"$out.server.err"
	xtcp_lib_wait_listen "$ns2" "$ss" "$port"
	# the native ends' SRTT, for a missed deadline (see STRICT), and
	# both ends' state, for any failure
	watch=()
	for n in "$cs:$ns1" "$ss:$ns2"; do
		echo 0 >"$xtcp_lib_tmp/srtt.${n#*:}"
		state_watch "${n#*:}" "${n%%:*}" "$port" \
			"$xtcp_lib_tmp/srtt.${n#*:}" "$BASHPID" &
		watch+=($!)
	done
	if [ "$PCAP" -gt 0 ]; then
		ip netns exec "$ns2" tcpdump -s 128 -i veth2 -w "$out.pcap" \
			"tcp port $port" 2>"$out.pcap.err" &
		watch+=($!)
		# tcpdump says "listening on" once its capture is open
		for ((n = 0; n < 100; n++)); do
			grep -qs "listening on" "$out.pcap.err" && break
			sleep 0.05
		done
	fi
	t0=$EPOCHREALTIME
	cli=$(xtcp_lib_connect "$ns1" -s "$(stack_arg "$cs")" -c "$ADDR2" \
		-p "$port" -n "$bytes" -r -t "$tmo" 2>"$out.client.err") || rc=$?
	t1=$EPOCHREALTIME
	ms=$(((${t1/./} - ${t0/./}) / 1000))
	wait "$xtcp_lib_bg_pid" || rc=${rc/#0/1}
	kill "${watch[@]}" 2>/dev/null
	# tcpdump writes out what it buffered as it exits
	wait "${watch[@]}" 2>/dev/null
	srtt=0
	for n in "$ns1" "$ns2"; do
		v=$(cat "$xtcp_lib_tmp/srtt.$n")
		[ "${v:-0}" -gt "$srtt" ] && srtt=$v
	done
	srv=$(cat "$out")
	xtcp_lib_log "client: ${cli//$'\n'/; }"
	xtcp_lib_log "server: $srv"
	# which end failed, and how: a native end that gave up (see STRICT)
	gaveup=0
	for n in "client:$cs" "server:$ss"; do
		v=$(cat "$out.${n%%:*}.err")
		[ -z "$v" ] || xtcp_lib_log "${n%%:*} ($(stack_arg "${n#*:}")) stderr: ${v//$'\n'/; }"
		case "$v" in
		*"Connection timed out"*)
			if [ "${n#*:}" = tcp ]; then
				gaveup=1
			else
				gaveup=-1
			fi
			;;
		esac
		[ "$gaveup" = -1 ] && break
	done
	rm -f "$out.client.err" "$out.server.err"
	if [ "$rc" != 0 ]; then
		for n in "client:$cs:$ns1" "server:$ss:$ns2"; do
			v=$(cat "$xtcp_lib_tmp/srtt.${n##*:}.state" 2>/dev/null)
			n=${n%:*}
			xtcp_lib_log "${n%%:*} ($(stack_arg "${n#*:}")), last seen:" \
				"${v//$'\n'/; }"
		done
		if [ "$PCAP" -gt 0 ]; then
			xtcp_lib_log "the last $PCAP packets on the server's veth:"
			tcpdump -r "$out.pcap" -n -tt 2>/dev/null | tail -n "$PCAP" |
				sed 's/^/# /'
		fi
	fi
	rm -f "$out.pcap" "$out.pcap.err"
	rm -f "$xtcp_lib_tmp/srtt.$ns1"* "$xtcp_lib_tmp/srtt.$ns2"*
	if [ "$rc" != 0 ]; then
		# 142: xtcp_connect's alarm (SIGALRM) ended it
		if [ "$rc" = 142 ] || [ "$ms" -ge $((tmo * 1000 - 500)) ]; then
			xtcp_lib_log "FAIL: $cell: no end within the deadline of $tmo s"
		else
			xtcp_lib_log "FAIL: $cell: client or server failed (exit $rc);" \
				"a native end's SRTT reached $srtt ms"
		fi
	elif [ "${cli%%$'\n'*}" != "sent $bytes sha256 ${srv##* }" ] ||
		[ "$srv" != "received $bytes sha256 ${srv##* }" ]; then
		xtcp_lib_log "FAIL: $cell: the server's size or hash differs from the client's"
		rc=1
	fi
	if [ "$rc" = 0 ] && [ "$cell" = corrupt ]; then
		c1b=$(csum_errors "$ns1" "$cs")
		c2b=$(csum_errors "$ns2" "$ss")
		xtcp_lib_log "checksum errors counted: client ($cs) $c1 -> $c1b," \
			"server ($ss) $c2 -> $c2b"
		if [ $((c1b - c1 + c2b - c2)) -le 0 ]; then
			xtcp_lib_log "FAIL: corrupt: no receiver counted a checksum error"
			rc=1
		fi
	fi
	tc -n "$ns1" qdisc del dev veth1 root
	tc -n "$ns2" qdisc del dev veth2 root
	xtcp_lib_log "cell $cell $cs->$ss: $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s" \
		"(deadline $tmo s) $([ "$rc" = 0 ] && echo ok || echo FAILED)"
	if [ "$rc" = 0 ]; then
		echo "pass $ms $tmo" >>"$xtcp_lib_tmp/cells"
	elif [ "$rc" = 142 ] && [ "$STRICT" = 0 ] &&
		[ "$srtt" -ge "$SRTT_STALL_MS" ]; then
		xtcp_lib_log "XFAIL: $cell $cs->$ss: a native end's SRTT reached" \
			"$srtt ms (a Linux sender's RTO stall, see STRICT)"
		echo "xfail $ms $tmo" >>"$xtcp_lib_tmp/cells"
	elif [ "$gaveup" = 1 ] && [ "$STRICT" = 0 ] &&
		[ "$srtt" -ge "$SRTT_STALL_MS" ]; then
		xtcp_lib_log "XFAIL: $cell $cs->$ss: a native end gave up" \
			"(ETIMEDOUT) after its SRTT reached $srtt ms (see STRICT)"
		echo "xfail $ms $tmo" >>"$xtcp_lib_tmp/cells"
	else
		echo "fail $ms $tmo" >>"$xtcp_lib_tmp/cells"
	fi
}

# pair CS SS: the topology, then every cell; a cell's failure is recorded
# and the next cell runs (its sockets are gone once both ends exited)
pair() {
	local cs=$1 ss=$2 cell
	if [ "$cs" = xtcp ] || [ "$ss" = xtcp ]; then
		xtcp_lib_require_xtcp
	fi
	xtcp_lib_require_cmd tc ethtool
	# Debian's kernel has netem as a module and tc does not load it;
	# without tcp_diag, ss -ti has no SRTT (state_watch)
	modprobe -q -a sch_netem inet_diag tcp_diag 2>/dev/null || true
	topo "$cs" "$ss"
	# netem usable at all (else every cell would run on a clean link)
	tc -n "$ns1" qdisc replace dev veth1 root netem delay 1ms
	tc -n "$ns1" qdisc del dev veth1 root
	for cell in $CELLS; do
		# the subshell keeps a failing cell's set -e exit to itself
		(one_cell "$cs" "$ss" "$cell") ||
			echo "fail 0 0" >>"$xtcp_lib_tmp/cells"
		if [ "$cs" = xtcp ] || [ "$ss" = xtcp ]; then
			# after a known stall the XTCP client's orphan waits out
			# its FIN_WAIT_2 timeout (fin_timeout, 60 s)
			drain=30
			case "$(tail -n 1 "$xtcp_lib_tmp/cells")" in
			xfail*) drain=$((70 * SCALE)) ;;
			esac
			if ! xtcp_lib_wait_drained "$ns1" "$drain" ||
				! xtcp_lib_wait_drained "$ns2" "$drain"; then
				xtcp_lib_fail "sockets left after cell $cell"
			fi
		fi
	done
}

xtcp_lib_init
for cell in $CELLS; do
	netem_args "$cell" >/dev/null || {
		echo "netem.sh: unknown cell $cell" >&2
		exit "$KSFT_FAIL"
	}
done
total=0
for cell in $CELLS; do
	total=$((total + $(deadline "$cell" "$(cell_bytes "$cell")") * SCALE))
done
xtcp_lib_log "$BYTES bytes each way per cell ($LOSS20_BYTES for loss20, $CORRUPT_BYTES for corrupt);" \
	"TSO, GSO and GRO off and gso_max_segs 1 on both veths;" \
	"sum of the deadlines per pair: $total s"
for p in $PAIRS; do
	cs=${p%:*}
	ss=${p#*:}
	: >"$xtcp_lib_tmp/cells"
	xtcp_lib_test "netem_${cs}_to_${ss}_setup" pair "$cs" "$ss"
	# one TAP line per cell, from what the pair's run recorded
	i=0
	mapfile -t results <"$xtcp_lib_tmp/cells"
	for cell in $CELLS; do
		r=${results[i]:-skip}
		case "$r" in
		pass*) rc=$KSFT_PASS ;;
		xfail*) rc=$KSFT_XFAIL
			echo "a Linux sender's RTO stall (see STRICT)" \
				>"$xtcp_lib_tmp/skip_reason" ;;
		skip) rc=$KSFT_SKIP
			echo "pair did not run" >"$xtcp_lib_tmp/skip_reason" ;;
		*) rc=$KSFT_FAIL ;;
		esac
		xtcp_lib_result "netem_${cs}_to_${ss}_$cell" "$rc"
		i=$((i + 1))
	done
done
xtcp_lib_exit
