#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2016 # awk programs in single quotes
#
# The VM side of `make bench` (scripts/bench boots the VM with vm-run and
# runs this). It loads xtcp.ko, builds the topology, runs the metrics and
# writes every sample to $XTCP_BENCH_OUT (the host's results folder, shared
# writable by vm-run): samples.tsv, meta.txt, and the perf profile. The
# host turns them into the table, CSV, JSON and charts
# (scripts/bench.d/report.py).
#
# Topology: two namespaces, the client's and the server's, joined by one
# veth pair per row, all created alike (MTU 1500, the veth's default qdisc
# and offloads, printed). A row's stacks decide only what each end gets:
# an address for Linux (ip addr add) or the device for XTCP (xtcpctl link
# add). XTCP owns a whole device, so the rows cannot share one pair.
#
#   xb-cli                                          xb-srv
#   c-nn 10.99.1.1  ---- native -> native ----  s-nn 10.99.1.2
#   c-xx 10.99.2.1  ---- XTCP   -> XTCP   ----  s-xx 10.99.2.2
#   c-xn 10.99.3.1  ---- XTCP   -> native ----  s-xn 10.99.3.2
#   c-nx 10.99.4.1  ---- native -> XTCP   ----  s-nx 10.99.4.2
#
# The client runs on vCPU 0 and the server on vCPU 1 (taskset). The rows
# of a metric are interleaved and their order rotates each repetition.
#
# Metrics (XTCP_BENCH_METRICS, comma separated):
#   crr    tools/xtcp-crr for XTCP_BENCH_D seconds per row: transactions/s
#          and failed transactions
#   twmem  XTCP_BENCH_TWN connections whose server closes first, so the
#          server's stack holds TIME_WAIT; slab growth / entries = bytes
#          per TIME_WAIT entry of the server's stack. Each row gets fresh
#          namespaces, deleted afterwards: deleting a namespace is the only
#          way to end native TIME_WAIT (60 s, fixed) before the next row's
#          baseline, and XTCP's MSL is raised for the metric, so nothing
#          expires while a row is being measured.
#   loss   goodput of one bulk flow (tools/xtcp-stream) for XTCP_BENCH_SD
#          seconds per row, under netem on both ends of the row's pair
#          (so each direction, data and ACKs): sub-metrics loss1, loss5,
#          loss10 (that loss rate) and delay50 (50 ms each way, no loss).
#          TSO, GSO and GRO are off and gso_max_segs is 1 on the pairs
#          during the metric, so that netem acts on single segments (the
#          crr topology's offloads come back afterwards).
#   burst  recovery from 10 consecutive lost data segments: the rows run
#          through a router namespace (XTCP bypasses netfilter, so the drop
#          must happen on a box in between) that delays each direction 5 ms
#          and drops data segments 101 to 110 of each flow with ten
#          iptables nth rules, rearmed before every sample (each row has
#          client and server namespaces of its own); the client
#          sends 2 MiB; the sample is the receiver's stall over the hole:
#          from its last read that ended before the hole to its first read
#          past it (see Documentation/benchmark.md).
#   stream bulk goodput, iperf3 (through tools/xtcp-run for an XTCP end)
#          for XTCP_BENCH_SD seconds per row, on the crr topology with its
#          offloads: sub-metrics stream1tx, stream1rx, stream8tx,
#          stream8rx (1 or 8 flows; tx the client sends, rx it receives
#          with -R); the sample is the receiver's goodput.
#   rr     tools/xtcp-rr, 1-byte request and response on one connection
#          (blocking send/recv) for XTCP_BENCH_D seconds per row:
#          transactions/s (rr) and latency percentiles (rr-p50, rr-p99).
#   scale  the same on 1, 10, 100 and 1000 connections driven by one
#          epoll client against one epoll server: scaleN (aggregate
#          transactions/s) and scaleN-p99 (latency).
#   mem    for each N of XTCP_BENCH_MEMN, N idle established connections
#          per row (tools/xtcp-rr -H, spread over a server port per
#          30,000) in fresh namespaces; the kernel's memory growth (slab,
#          per-CPU, pages: see kernel_kb) over N, both ends counted:
#          memNk, bytes per connection; and memNk-sock, the growth of the
#          stacks' own socket caches (TCP, XTCP) alone over N. The
#          client's exit aborts them.
#
# Environment (set by scripts/bench): XTCP_BENCH_OUT, XTCP_BENCH_METRICS,
# XTCP_BENCH_REPS, XTCP_BENCH_D, XTCP_BENCH_TWN, XTCP_BENCH_PERF,
# XTCP_BENCH_SD, XTCP_BENCH_MEMN, XTCP_MODULE (xtcp.ko to load),
# XTCP_MODULE_PARAMS.
set -eEu

repo=$(cd "$(dirname "$0")/../.." && pwd)
KO=${XTCP_MODULE:-$repo/module/xtcp.ko}
XTCPCTL=$repo/tools/xtcpctl
CRR=$repo/tools/xtcp-crr
STREAM=$repo/tools/xtcp-stream
RR=$repo/tools/xtcp-rr
XRUN=$repo/tools/xtcp-run
OUT=${XTCP_BENCH_OUT:?}
METRICS=${XTCP_BENCH_METRICS:-crr,twmem}
REPS=${XTCP_BENCH_REPS:-5}
D=${XTCP_BENCH_D:-10}
TWN=${XTCP_BENCH_TWN:-10000}
PERF=${XTCP_BENCH_PERF:-0}
SD=${XTCP_BENCH_SD:-10}
MEMN=${XTCP_BENCH_MEMN:-10000,100000}
# XTCP's MSL during twmem: 2 MSL (2 h) outlasts the whole metric
TW_MSL_MS=3600000

CLI_CPU=0
SRV_CPU=1
NS_C=xb-cli
NS_S=xb-srv
ROWS=(nn xx xn nx)
SAMPLES=$OUT/samples.tsv
META=$OUT/meta.txt

die() {
	echo "bench: $*" >&2
	exit 1
}

log() {
	printf '%s\n' "$*"
}

# row_name ROW, row_cstack ROW, row_sstack ROW, row_idx ROW
row_name() {
	case "$1" in
	nn) echo native-native ;;
	xx) echo xtcp-xtcp ;;
	xn) echo xtcp-native ;;
	nx) echo native-xtcp ;;
	esac
}

row_cstack() { [ "${1:0:1}" = x ] && echo xtcp || echo native; }
row_sstack() { [ "${1:1:1}" = x ] && echo xtcp || echo native; }

row_idx() {
	case "$1" in
	nn) echo 1 ;;
	xx) echo 2 ;;
	xn) echo 3 ;;
	nx) echo 4 ;;
	esac
}

family() { [ "$1" = xtcp ] && echo xtcp || echo inet; }

# rotated REP: the rows in the order of repetition REP (1-based)
rotated() {
	local k=$((($1 - 1) % ${#ROWS[@]})) i
	for ((i = 0; i < ${#ROWS[@]}; i++)); do
		printf '%s ' "${ROWS[(k + i) % ${#ROWS[@]}]}"
	done
}

# progress METRIC REP ROW DONE TOTAL SECS_PER_ROW
progress() {
	local left=$((($5 - $4) * $6))
	printf '[bench %s] rep %d/%d  row %-13s (%d/%d)  about %dm%02ds left\n' \
		"$1" "$2" "$REPS" "$(row_name "$3")" "$(($4 + 1))" "$5" \
		$((left / 60)) $((left % 60))
}

# sample METRIC ROW REP VALUE UNIT FAILURES EXTRA
sample() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$SAMPLES"
}

# endpoint NS DEV STACK ADDR/N: give DEV its address in STACK
endpoint() {
	if [ "$3" = xtcp ]; then
		ip netns exec "$1" "$XTCPCTL" link add dev "$2" addr "$4" >/dev/null
	else
		ip -n "$1" addr add "$4" dev "$2"
	fi
}

# link_pair CNS SNS ROW: the veth pair of ROW, both ends set up for its stacks
link_pair() {
	local cns=$1 sns=$2 r=$3 i
	i=$(row_idx "$r")
	ip -n "$cns" link add "c-$r" mtu 1500 type veth peer name "s-$r" netns "$sns" mtu 1500
	ip -n "$cns" link set "c-$r" up
	ip -n "$sns" link set "s-$r" up
	endpoint "$cns" "c-$r" "$(row_cstack "$r")" "10.99.$i.1/24"
	endpoint "$sns" "s-$r" "$(row_sstack "$r")" "10.99.$i.2/24"
}

ns_create() {
	local ns
	for ns in "$@"; do
		ip netns del "$ns" 2>/dev/null || true
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	done
}

# the XTCP links go first, then the namespaces
ns_destroy() {
	local ns dev
	for ns in "$@"; do
		[ -e "/run/netns/$ns" ] || continue
		for dev in $(ip -n "$ns" -o link show type veth 2>/dev/null |
			awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
			ip netns exec "$ns" "$XTCPCTL" link del dev "$dev" >/dev/null 2>&1 || true
		done
		ip netns del "$ns"
	done
}

# describe NS DEV: MTU, qdisc and offloads of one end, one line
describe() {
	local mtu qdisc offl
	mtu=$(ip -n "$1" -o link show dev "$2" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')
	qdisc=$(ip netns exec "$1" tc qdisc show dev "$2" 2>/dev/null | awk 'NR == 1 { print $2 }')
	offl=$(ip netns exec "$1" ethtool -k "$2" 2>/dev/null | awk -F': ' '
		/^(rx-checksumming|tx-checksumming|scatter-gather|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload|rx-gro-list|large-receive-offload):/ {
			split($2, v, " "); printf "%s%s=%s", sep, $1, v[1]; sep = ","
		}')
	printf '%s/%s mtu=%s qdisc=%s %s\n' "$1" "$2" "$mtu" "${qdisc:-none}" "$offl"
}

# server_start NS STACK ADDR PORT FILE: an xtcp-crr server on vCPU SRV_CPU;
# waits for it to listen. Sets server_pid.
server_start() {
	local i
	ip netns exec "$1" taskset -c "$SRV_CPU" "$CRR" -l -f "$(family "$2")" \
		-b "$3" -p "$4" >"$5" 2>&1 &
	server_pid=$!
	for ((i = 0; i < 400; i++)); do
		grep -q '^crr listening' "$5" 2>/dev/null && return 0
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$5" >&2
	die "server $3:$4 ($2) did not start"
}

server_stop() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# client NS STACK ARGS...: an xtcp-crr client on vCPU CLI_CPU; its output
# in $client_out, its numbers in client_tx, client_failed, client_tps and
# client_errors
client() {
	local ns=$1 stack=$2
	shift 2
	client_out=$(ip netns exec "$ns" taskset -c "$CLI_CPU" "$CRR" -f "$(family "$stack")" "$@") ||
		die "xtcp-crr $* exited $?: $client_out"
	read -r client_tx client_failed client_tps < <(printf '%s\n' "$client_out" |
		awk '$1 == "crr" && $2 == "tx" { print $3, $5, $9 }')
	client_errors=$(printf '%s\n' "$client_out" | sed -n 's/^crr errors //p')
	[ -n "$client_tx" ] || die "xtcp-crr printed no result: $client_out"
}

slab_kb() {
	awk '$1 == "Slab:" { print $2 }' /proc/meminfo
}

# bytes held by allocated slab objects, summed over /proc/slabinfo
slabinfo_bytes() {
	awk 'NR > 2 { s += $2 * $4 } END { printf "%d\n", s }' /proc/slabinfo
}

# slab_settle: until Slab changes by less than 64 kB over a second (RCU
# frees and namespace teardown finished), at most 60 s
slab_settle() {
	local a b i
	a=$(slab_kb)
	for ((i = 0; i < 60; i++)); do
		sleep 1
		b=$(slab_kb)
		[ $((b > a ? b - a : a - b)) -lt 64 ] && return 0
		a=$b
	done
	log "# slab did not settle within 60 s"
}

# ------------------------------------------------------------------ crr

CRR_PORT=9100

metric_crr() {
	local r rep done_=0 total=$((REPS * ${#ROWS[@]})) per=$((D + 3))
	local -A spid
	local t0

	for r in "${ROWS[@]}"; do
		server_start "$NS_S" "$(row_sstack "$r")" "10.99.$(row_idx "$r").2" \
			"$CRR_PORT" "/tmp/crr-srv-$r.out"
		spid[$r]=$server_pid
	done
	for ((rep = 1; rep <= REPS; rep++)); do
		for r in $(rotated "$rep"); do
			progress crr "$rep" "$r" "$done_" "$total" "$per"
			t0=$(date +%s)
			client "$NS_C" "$(row_cstack "$r")" -c "10.99.$(row_idx "$r").2" \
				-p "$CRR_PORT" -d "$D"
			log "  $(row_name "$r"): $client_tps tx/s, $client_tx tx, $client_failed failed${client_errors:+ ($client_errors)}"
			sample crr "$(row_name "$r")" "$rep" "$client_tps" tx/s \
				"$client_failed" "tx=$client_tx${client_errors:+ $client_errors}"
			done_=$((done_ + 1))
			# the estimate learns what a row really costs here
			per=$(((per + $(date +%s) - t0 + 1) / 2))
		done
	done

	if [ "$PERF" = 1 ]; then
		perf_crr xx
		perf_crr nn
	fi

	for r in "${ROWS[@]}"; do
		server_stop "${spid[$r]}"
		log "  server $(row_name "$r"): $(grep -h '^crr served' "/tmp/crr-srv-$r.out" || echo '?')" \
			"$(sed -n 's/^crr errors //p' "/tmp/crr-srv-$r.out")"
	done
}

# perf_top DATA LIMIT: self time by symbol, idle included (the CPU that
# waits for the other one), module symbols among the kernel's (kallsyms)
perf_top() {
	perf report -i "$1" --stdio --no-children --sort sym -g none \
		--percent-limit "$2" 2>/dev/null | grep -v -e '^#' -e '^$'
}

# perf_crr ROW: a cpu-clock profile of the whole VM during one more CRR
# run of ROW (not one of the measured ones: perf costs CPU under TCG).
perf_crr() {
	local r=$1

	perf_run crr "$r" '^crr tx' "$D" ip netns exec "$NS_C" taskset -c "$CLI_CPU" \
		"$CRR" -f "$(family "$(row_cstack "$r")")" \
		-c "10.99.$(row_idx "$r").2" -p "$CRR_PORT" -d "$D"
}

# perf_run METRIC ROW PATTERN SECONDS CMD...: a cpu-clock profile of the
# whole VM while CMD, one more run of METRIC's ROW, runs; the report,
# headed by CMD's output lines that match PATTERN, goes to
# $OUT/perf-METRIC-ROWNAME.txt
perf_run() {
	local metric=$1 r=$2 pat=$3 secs=$4 name data rep
	shift 4

	name=$(row_name "$r")
	data=/tmp/perf-$metric-$name.data
	rep=$OUT/perf-$metric-$name.txt
	command -v perf >/dev/null || { log "# PERF=1 but no perf (apt-get install linux-perf)"; return 0; }
	echo 0 >/proc/sys/kernel/kptr_restrict
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	log "[bench $metric] perf record -e cpu-clock -a -g during $name, $secs s"
	perf record -q -e cpu-clock -a -g -o "$data" -- "$@" >/tmp/perf-run.out 2>&1 ||
		{ cat /tmp/perf-run.out; log "# perf record failed"; return 0; }
	{
		echo "# perf record -e cpu-clock -a -g, $name $metric, $secs s: $(grep -E "$pat" /tmp/perf-run.out | tr '\n' ' ')"
		echo "# self time by symbol (all CPUs; idle is the CPU not in the loop)"
		perf_top "$data" 0.1 | head -120
		echo
		echo "# time including callees, by symbol"
		perf report -i "$data" --stdio --children --sort sym -g none \
			--percent-limit 1 2>/dev/null | grep -v -e '^#' -e '^$' | head -120
		echo
		echo "# call graphs of the symbols above 2% (callee first)"
		perf report -i "$data" --stdio --no-children --sort sym \
			-g callee,0.5 --percent-limit 2 2>/dev/null |
			grep -v -e '^$' -e 'tips.txt' | head -300
	} >"$rep"
	log "[bench $metric] top symbols (the whole report is $rep):"
	perf_top "$data" 0.5 | head -25
}

# ---------------------------------------------------------------- twmem

TW_NS_C=xb-twc
TW_NS_S=xb-tws
TW_PORT=9200

# tw_count NS STACK: TIME_WAIT entries in NS
tw_count() {
	if [ "$2" = xtcp ]; then
		ip netns exec "$1" awk 'NR > 1 && $4 == "06" { n++ } END { print n + 0 }' /proc/net/xtcp
	else
		ip netns exec "$1" awk 'NR > 1 && $4 == "06" { n++ } END { print n + 0 }' /proc/net/tcp
	fi
}

# others NS: sockets of NS in neither LISTEN nor TIME_WAIT, both stacks
others() {
	local f=/proc/net/tcp
	[ -d /sys/module/xtcp ] && f="$f /proc/net/xtcp"
	# shellcheck disable=SC2086 # two file names
	ip netns exec "$1" awk 'FNR > 1 && $4 != "0A" && $4 != "06" { n++ } END { print n + 0 }' $f
}

# wait_peers_gone: every connection of the row is either in TIME_WAIT on
# the server or gone; at most 60 s
wait_peers_gone() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(others "$TW_NS_C")" = 0 ] && [ "$(others "$TW_NS_S")" = 0 ] && return 0
		sleep 0.1
	done
	log "# sockets left after 60 s: client $(others "$TW_NS_C"), server $(others "$TW_NS_S")"
}

# print each TIME_WAIT-related cache once: native's and any of XTCP's
tw_caches() {
	log "# slab caches (name active_objs objsize):"
	awk 'NR > 2 && ($1 == "tw_sock_TCP" || $1 == "TCP" || tolower($1) ~ /xtcp/) {
		printf "#   %s %s %s\n", $1, $2, $4 }' /proc/slabinfo
	awk 'NR > 2 && ($1 == "tw_sock_TCP" || $1 == "TCP" || tolower($1) ~ /xtcp/) {
		printf "%s %s\n", $1, $4 }' /proc/slabinfo >"$OUT/slab-objsize.txt"
}

twmem_row() {
	local r=$1 rep=$2 i sstack b0 b1 s0 s1 n per port spid
	i=$(row_idx "$r")
	sstack=$(row_sstack "$r")
	port=$((TW_PORT + rep))
	ns_create "$TW_NS_C" "$TW_NS_S"
	# a new netns caps native TIME_WAIT at half the ehash (8192 in a 2G
	# VM) and closes the rest without one; let all TWN in
	ip netns exec "$TW_NS_S" sysctl -qw net.ipv4.tcp_max_tw_buckets=$((TWN * 2)) || true
	link_pair "$TW_NS_C" "$TW_NS_S" "$r"
	server_start "$TW_NS_S" "$sstack" "10.99.$i.2" "$port" /tmp/tw-srv.out
	spid=$server_pid
	slab_settle
	b0=$(slab_kb)
	s0=$(slabinfo_bytes)
	client "$TW_NS_C" "$(row_cstack "$r")" -c "10.99.$i.2" -p "$port" -n "$TWN" -w
	wait_peers_gone
	n=$(tw_count "$TW_NS_S" "$sstack")
	b1=$(slab_kb)
	s1=$(slabinfo_bytes)
	if [ "$n" -gt 0 ]; then
		per=$(((b1 - b0) * 1024 / n))
	else
		per=NA
	fi
	log "  $(row_name "$r"): $n TIME_WAIT entries ($sstack), Slab +$((b1 - b0)) kB = $per B/entry" \
		"(slabinfo objects +$(((s1 - s0) / (n > 0 ? n : 1))) B/entry), $client_failed failed${client_errors:+ ($client_errors)}"
	sample twmem "$(row_name "$r")" "$rep" "$per" B/entry "$client_failed" \
		"tw=$n stack=$sstack slab_kb=$((b1 - b0)) slabinfo_b=$((s1 - s0))${client_errors:+ $client_errors}"
	server_stop "$spid"
	ns_destroy "$TW_NS_C" "$TW_NS_S"
}

# tw_drain MSL_MS: until the TIME_WAIT entries of the crr topology are gone
# (native 60 s, XTCP 2 MSL), so that none expires inside a twmem row
tw_drain() {
	local i n limit=$((($1 * 2 / 1000 > 60 ? $1 * 2 / 1000 : 60) + 30))
	[ -e "/run/netns/$NS_S" ] || return 0
	for ((i = 0; i < limit; i++)); do
		n=$(($(tw_count "$NS_C" native) + $(tw_count "$NS_C" xtcp) +
			$(tw_count "$NS_S" native) + $(tw_count "$NS_S" xtcp)))
		[ "$n" = 0 ] && return 0
		[ $((i % 10)) = 0 ] && log "[bench twmem] waiting for $n TIME_WAIT entries of crr to expire"
		sleep 1
	done
	log "# $n TIME_WAIT entries of crr left after $limit s: twmem may be off"
}

metric_twmem() {
	local r rep done_=0 total=$((REPS * ${#ROWS[@]})) per=60 t0 old_msl
	local p=/sys/module/xtcp/parameters/msl_ms

	old_msl=$(cat "$p")
	tw_drain "$old_msl"
	echo "$TW_MSL_MS" >"$p"
	log "# twmem: $TWN connections per row, the server closes first; XTCP msl_ms=$TW_MSL_MS for the metric, native TIME_WAIT is 60 s"
	tw_caches
	for ((rep = 1; rep <= REPS; rep++)); do
		for r in $(rotated "$rep"); do
			progress twmem "$rep" "$r" "$done_" "$total" "$per"
			t0=$(date +%s)
			twmem_row "$r" "$rep"
			done_=$((done_ + 1))
			per=$(((per + $(date +%s) - t0 + 1) / 2))
		done
	done
	echo "$old_msl" >"$p"
}

# ----------------------------------------------------------------- loss

LOSS_PORT=9300
LOSS_CELLS=(loss1 loss5 loss10 delay50)

loss_netem() {
	case "$1" in
	loss1) echo loss 1% ;;
	loss5) echo loss 5% ;;
	loss10) echo loss 10% ;;
	delay50) echo delay 50ms ;;
	esac
}

# seg_offloads NS DEV on|off: TSO and GSO (GRO stays off, the veth's
# default) and gso_max_segs. XTCP sizes its packets from gso_max_segs
# and gso_max_size, not from the GSO feature flags, so both are needed
# for single segments from both stacks.
seg_offloads() {
	local segs=65535
	[ "$3" = off ] && segs=1
	ip -n "$1" link set dev "$2" gso_max_segs "$segs"
	ip netns exec "$1" ethtool -K "$2" tso "$3" gso "$3" gro off >/dev/null
}

# stream_server NS STACK ADDR PORT FILE [ARGS]: an xtcp-stream server on
# vCPU SRV_CPU; waits for it to listen. Sets server_pid.
stream_server() {
	local ns=$1 stack=$2 addr=$3 port=$4 file=$5 i
	shift 5
	ip netns exec "$ns" taskset -c "$SRV_CPU" "$STREAM" -l -f "$(family "$stack")" \
		-b "$addr" -p "$port" "$@" >"$file" 2>&1 &
	server_pid=$!
	for ((i = 0; i < 400; i++)); do
		grep -q '^stream listening' "$file" 2>/dev/null && return 0
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$file" >&2
	die "stream server $addr:$port ($stack) did not start"
}

# stream_client NS STACK ARGS...: an xtcp-stream client on vCPU CLI_CPU
stream_client() {
	local ns=$1 stack=$2 out
	shift 2
	out=$(ip netns exec "$ns" taskset -c "$CLI_CPU" "$STREAM" -f "$(family "$stack")" "$@") ||
		die "xtcp-stream $* exited $?: $out"
}

# stream_result FILE N: the N-th "stream rx" line of a server's output,
# as "bytes seconds mbps maxgap_ms gap_end stall_ms" (stall_ms only with
# -g); waits for it up to 10 s
stream_result() {
	local i line
	for ((i = 0; i < 200; i++)); do
		line=$(awk -v n="$2" '$1 == "stream" && $2 == "rx" && ++k == n {
			print $3, $5, $7, $9, $11, $13 }' "$1")
		[ -n "$line" ] && break
		sleep 0.05
	done
	[ -n "$line" ] || die "no result $2 in $1: $(cat "$1")"
	echo "$line"
}

metric_loss() {
	local cell r rep done_=0 total=$((${#LOSS_CELLS[@]} * REPS * ${#ROWS[@]}))
	local per=$((SD + 3)) t0 i args bytes secs mbps line
	local -A spid nconn

	# Debian's kernel has netem as a module and tc does not load it
	modprobe -q sch_netem 2>/dev/null || true
	for r in "${ROWS[@]}"; do
		seg_offloads "$NS_C" "c-$r" off
		seg_offloads "$NS_S" "s-$r" off
		stream_server "$NS_S" "$(row_sstack "$r")" "10.99.$(row_idx "$r").2" \
			"$LOSS_PORT" "/tmp/loss-srv-$r.out" -d "$SD"
		spid[$r]=$server_pid
		nconn[$r]=0
	done
	log "# loss: one flow for $SD s per row; netem on both ends of each pair;" \
		"TSO, GSO off and gso_max_segs 1 during the metric"
	for cell in "${LOSS_CELLS[@]}"; do
		args=$(loss_netem "$cell")
		for r in "${ROWS[@]}"; do
			# shellcheck disable=SC2086 # the netem parameters are words
			tc -n "$NS_C" qdisc replace dev "c-$r" root netem limit 100000 $args
			# shellcheck disable=SC2086
			tc -n "$NS_S" qdisc replace dev "s-$r" root netem limit 100000 $args
		done
		log "# $cell: netem limit 100000 $args on every pair, both ends"
		for ((rep = 1; rep <= REPS; rep++)); do
			for r in $(rotated "$rep"); do
				progress "$cell" "$rep" "$r" "$done_" "$total" "$per"
				t0=$(date +%s)
				i=$(row_idx "$r")
				# the server's RST ends the client after SD s
				stream_client "$NS_C" "$(row_cstack "$r")" -c "10.99.$i.2" \
					-p "$LOSS_PORT" -d $((SD + 60))
				nconn[$r]=$((nconn[$r] + 1))
				line=$(stream_result "/tmp/loss-srv-$r.out" "${nconn[$r]}") || exit 1
				read -r bytes secs mbps _ _ <<<"$line"
				log "  $(row_name "$r"): $mbps Mbit/s ($bytes bytes in $secs s)"
				sample "$cell" "$(row_name "$r")" "$rep" "$mbps" Mbit/s 0 \
					"bytes=$bytes seconds=$secs netem=${args// /_}"
				done_=$((done_ + 1))
				per=$(((per + $(date +%s) - t0 + 1) / 2))
			done
		done
		for r in "${ROWS[@]}"; do
			tc -n "$NS_C" qdisc del dev "c-$r" root
			tc -n "$NS_S" qdisc del dev "s-$r" root
		done
	done
	for r in "${ROWS[@]}"; do
		server_stop "${spid[$r]}"
		seg_offloads "$NS_C" "c-$r" on
		seg_offloads "$NS_S" "s-$r" on
	done
}

# ---------------------------------------------------------------- burst

B_NS_C=xb-bc
B_NS_R=xb-br
B_NS_S=xb-bs
BURST_PORT=9400
BURST_BYTES=2097152
# data segments 101 to 110 of each flow are dropped (iptables' --packet
# counts from 0: the 101st segment is --packet 100)
BURST_FIRST=100
BURST_LEN=10
BURST_DELAY=5ms
# the stall runs from the last read that ended at or before the hole
# (segment 101 starts at 100 x 1448 with timestamps, 100 x 1460 without)
# to the first read past it (segment 110 ends by 110 x 1460)
BURST_FROM=$((BURST_FIRST * 1448))
BURST_TO=$(((BURST_FIRST + BURST_LEN) * 1460))

# burst_topo: per row, client -- router -- server, the router forwarding
# with a 5 ms netem delay on each of its egresses and a chain of its own.
# Each row's client and server have namespaces of their own (xb-bc-ROW,
# xb-bs-ROW): two XTCP links with a gateway each in one namespace would
# leave XTCP to pick one of them for every off-link destination.
burst_topo() {
	local r i
	ns_create "$B_NS_R"
	ip netns exec "$B_NS_R" sysctl -qw net.ipv4.ip_forward=1
	for r in "${ROWS[@]}"; do
		i=$(row_idx "$r")
		ns_create "$B_NS_C-$r" "$B_NS_S-$r"
		ip -n "$B_NS_C-$r" link add "bc-$r" mtu 1500 type veth peer name "rc-$r" netns "$B_NS_R" mtu 1500
		ip -n "$B_NS_S-$r" link add "bs-$r" mtu 1500 type veth peer name "rs-$r" netns "$B_NS_R" mtu 1500
		ip -n "$B_NS_C-$r" link set "bc-$r" up
		ip -n "$B_NS_S-$r" link set "bs-$r" up
		ip -n "$B_NS_R" link set "rc-$r" up
		ip -n "$B_NS_R" link set "rs-$r" up
		# the sender's segments reach the router one by one
		seg_offloads "$B_NS_C-$r" "bc-$r" off
		ip -n "$B_NS_R" addr add "10.98.$i.254/24" dev "rc-$r"
		ip -n "$B_NS_R" addr add "10.97.$i.254/24" dev "rs-$r"
		tc -n "$B_NS_R" qdisc replace dev "rc-$r" root netem limit 100000 delay "$BURST_DELAY"
		tc -n "$B_NS_R" qdisc replace dev "rs-$r" root netem limit 100000 delay "$BURST_DELAY"
		if [ "$(row_cstack "$r")" = xtcp ]; then
			ip netns exec "$B_NS_C-$r" "$XTCPCTL" link add dev "bc-$r" \
				addr "10.98.$i.1/24" gw "10.98.$i.254" >/dev/null
		else
			ip -n "$B_NS_C-$r" addr add "10.98.$i.1/24" dev "bc-$r"
			ip -n "$B_NS_C-$r" route add "10.97.$i.0/24" via "10.98.$i.254"
		fi
		if [ "$(row_sstack "$r")" = xtcp ]; then
			ip netns exec "$B_NS_S-$r" "$XTCPCTL" link add dev "bs-$r" \
				addr "10.97.$i.2/24" gw "10.97.$i.254" >/dev/null
		else
			ip -n "$B_NS_S-$r" addr add "10.97.$i.2/24" dev "bs-$r"
			ip -n "$B_NS_S-$r" route add "10.98.$i.0/24" via "10.97.$i.254"
		fi
		ip netns exec "$B_NS_R" iptables -N "burst-$r"
		ip netns exec "$B_NS_R" iptables -A FORWARD -i "rc-$r" -p tcp -j "burst-$r"
	done
}

# burst_arm ROW: ten fresh nth rules (fresh counters) in the row's chain.
# Each rule drops the 101st data segment (IP total length >= 256) it
# sees; what one rule drops the next never sees, so together they drop
# segments 101 to 110.
burst_arm() {
	local k
	{
		echo "*filter"
		echo "-F burst-$1"
		for ((k = 0; k < BURST_LEN; k++)); do
			echo "-A burst-$1 -m u32 --u32 0&0xFFFF=256:65535 -m statistic --mode nth --every 1000000 --packet $BURST_FIRST -j DROP"
		done
		echo "COMMIT"
	} | ip netns exec "$B_NS_R" iptables-restore --noflush
}

# burst_dropped ROW: what the row's rules dropped since they were armed
burst_dropped() {
	ip netns exec "$B_NS_R" iptables -L "burst-$1" -v -x -n |
		awk '$3 == "DROP" { n += $1 } END { print n + 0 }'
}

metric_burst() {
	local r rep done_=0 total=$((REPS * ${#ROWS[@]})) per=8 t0 i
	local bytes secs mbps gap gap_end stall dropped line
	local -A spid nconn

	modprobe -q -a nf_tables nft_compat ip_tables iptable_filter x_tables \
		xt_u32 xt_statistic sch_netem 2>/dev/null || true
	burst_topo
	for r in "${ROWS[@]}"; do
		stream_server "$B_NS_S-$r" "$(row_sstack "$r")" "10.97.$(row_idx "$r").2" \
			"$BURST_PORT" "/tmp/burst-srv-$r.out" -g "$BURST_FROM,$BURST_TO"
		spid[$r]=$server_pid
		nconn[$r]=0
	done
	log "# burst: $BURST_BYTES bytes per flow through a router with $BURST_DELAY each way;" \
		"data segments $((BURST_FIRST + 1)) to $((BURST_FIRST + BURST_LEN)) dropped"
	for r in "${ROWS[@]}"; do
		echo "link burst-$(row_name "$r") $(describe "$B_NS_C-$r" "bc-$r")" >>"$META"
		echo "link burst-$(row_name "$r") $(describe "$B_NS_S-$r" "bs-$r")" >>"$META"
	done
	for ((rep = 1; rep <= REPS; rep++)); do
		for r in $(rotated "$rep"); do
			progress burst "$rep" "$r" "$done_" "$total" "$per"
			t0=$(date +%s)
			i=$(row_idx "$r")
			burst_arm "$r"
			stream_client "$B_NS_C-$r" "$(row_cstack "$r")" -c "10.97.$i.2" \
				-p "$BURST_PORT" -n "$BURST_BYTES"
			nconn[$r]=$((nconn[$r] + 1))
			line=$(stream_result "/tmp/burst-srv-$r.out" "${nconn[$r]}") || exit 1
			read -r bytes secs mbps gap gap_end stall <<<"$line"
			dropped=$(burst_dropped "$r")
			log "  $(row_name "$r"): stall over the hole $stall ms; longest gap $gap ms," \
				"ending at byte $gap_end; $bytes bytes in $secs s; $dropped segments dropped"
			# a sample is valid only if the burst happened and the
			# whole stream arrived
			if [ "$dropped" != "$BURST_LEN" ] || [ "$bytes" != "$BURST_BYTES" ] ||
				[ "${stall#-}" != "$stall" ]; then
				sample burst "$(row_name "$r")" "$rep" NA ms 1 \
					"dropped=$dropped bytes=$bytes"
			else
				sample burst "$(row_name "$r")" "$rep" "$stall" ms 0 \
					"maxgap_ms=$gap gap_end=$gap_end bytes=$bytes seconds=$secs dropped=$dropped"
			fi
			done_=$((done_ + 1))
			per=$(((per + $(date +%s) - t0 + 1) / 2))
		done
	done
	for r in "${ROWS[@]}"; do
		server_stop "${spid[$r]}"
	done
	for r in "${ROWS[@]}"; do
		ns_destroy "$B_NS_C-$r" "$B_NS_S-$r"
	done
	ns_destroy "$B_NS_R"
}

# --------------------------------------------------------------- stream

STREAM_PORT=9600
# client sends (tx) or receives (rx, iperf3 -R), with 1 or 8 flows
STREAM_CELLS=(stream1tx stream1rx stream8tx stream8rx)

# preload STACK: the words that put a program on STACK: xtcp-run for
# XTCP, nothing for native
preload() {
	[ "$1" = xtcp ] && printf '%s\n' "$XRUN"
	return 0
}

# iperf_server NS STACK ADDR PORT FILE: iperf3 -s on vCPU SRV_CPU, through
# xtcp-run for XTCP; waits for it to listen. Sets server_pid.
iperf_server() {
	local i pre
	pre=$(preload "$2")
	# shellcheck disable=SC2086 # $pre is no word or one
	ip netns exec "$1" taskset -c "$SRV_CPU" $pre iperf3 -s -B "$3" -p "$4" \
		--forceflush >"$5" 2>&1 &
	server_pid=$!
	for ((i = 0; i < 400; i++)); do
		grep -q 'Server listening' "$5" 2>/dev/null && return 0
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$5" >&2
	die "iperf3 server $3:$4 ($2) did not start"
}

# iperf_goodput FILE: from iperf3 -J, the receiver's goodput in Mbit/s,
# the sender's retransmissions and bytes; "NA error" when iperf3 failed
iperf_goodput() {
	python3 - "$1" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print("NA", "no_json")
    sys.exit()
if j.get("error"):
    print("NA", j["error"].replace(" ", "_")[:60])
    sys.exit()
e = j["end"]
r, s = e["sum_received"], e["sum_sent"]
print(f'{r["bits_per_second"] / 1e6:.1f} retrans={s.get("retransmits", "NA")} '
      f'bytes={r["bytes"]} seconds={r["seconds"]:.2f}')
PY
}

metric_stream() {
	local cell r rep done_=0 total=$((${#STREAM_CELLS[@]} * REPS * ${#ROWS[@]}))
	local per=$((SD + 4)) t0 i pre flows dir mbps rest fails
	local -A spid

	for r in "${ROWS[@]}"; do
		iperf_server "$NS_S" "$(row_sstack "$r")" "10.99.$(row_idx "$r").2" \
			"$STREAM_PORT" "/tmp/stream-srv-$r.out"
		spid[$r]=$server_pid
	done
	log "# stream: iperf3 (through tools/xtcp-run for XTCP ends), $SD s per row;" \
		"tx: the client sends, rx: the client receives (-R)"
	for cell in "${STREAM_CELLS[@]}"; do
		flows=${cell#stream}
		flows=${flows%?x}
		dir=
		[ "${cell: -2}" = rx ] && dir=-R
		for ((rep = 1; rep <= REPS; rep++)); do
			for r in $(rotated "$rep"); do
				progress "$cell" "$rep" "$r" "$done_" "$total" "$per"
				t0=$(date +%s)
				i=$(row_idx "$r")
				pre=$(preload "$(row_cstack "$r")")
				# shellcheck disable=SC2086 # $pre and $dir: no word or one
				ip netns exec "$NS_C" taskset -c "$CLI_CPU" $pre iperf3 \
					-c "10.99.$i.2" -p "$STREAM_PORT" -t "$SD" -P "$flows" \
					$dir -J >/tmp/stream-cli.json 2>/tmp/stream-cli.err || true
				read -r mbps rest < <(iperf_goodput /tmp/stream-cli.json)
				fails=0
				[ "$mbps" = NA ] && fails=1
				log "  $(row_name "$r"): $mbps Mbit/s ($rest)"
				sample "$cell" "$(row_name "$r")" "$rep" "$mbps" Mbit/s "$fails" \
					"flows=$flows $rest"
				done_=$((done_ + 1))
				per=$(((per + $(date +%s) - t0 + 1) / 2))
			done
		done
	done
	if [ "$PERF" = 1 ]; then
		# one flow into XTCP (it receives), and native's same row
		for r in nx nn; do
			perf_run stream1tx "$r" 'receiver$' "$SD" ip netns exec "$NS_C" \
				taskset -c "$CLI_CPU" iperf3 -c "10.99.$(row_idx "$r").2" \
				-p "$STREAM_PORT" -t "$SD" -P 1
		done
	fi
	for r in "${ROWS[@]}"; do
		server_stop "${spid[$r]}"
	done
}

# ------------------------------------------------------------ rr, scale

RR_PORT=9500
SCALE_CONNS=(1 10 100 1000)

# rr_servers_start: an xtcp-rr echo server per row on vCPU SRV_CPU, in
# rr_spid[ROW]; waits for each to listen
declare -A rr_spid
rr_servers_start() {
	local r i f
	for r in "${ROWS[@]}"; do
		f=/tmp/rr-srv-$r.out
		ip netns exec "$NS_S" taskset -c "$SRV_CPU" "$RR" -l \
			-f "$(family "$(row_sstack "$r")")" -b "10.99.$(row_idx "$r").2" \
			-p "$RR_PORT" >"$f" 2>&1 &
		rr_spid[$r]=$!
		for ((i = 0; i < 400; i++)); do
			grep -q '^rr listening' "$f" 2>/dev/null && break
			kill -0 "${rr_spid[$r]}" 2>/dev/null || break
			sleep 0.05
		done
		grep -q '^rr listening' "$f" || { cat "$f" >&2; die "rr server of $r did not start"; }
	done
}

rr_servers_stop() {
	local r
	for r in "${ROWS[@]}"; do
		server_stop "${rr_spid[$r]}"
		log "  server $(row_name "$r"): $(grep -h '^rr served' "/tmp/rr-srv-$r.out" || echo '?')" \
			"$(sed -n 's/^rr errors //p' "/tmp/rr-srv-$r.out")"
	done
}

# rr_client ROW ARGS...: an xtcp-rr client of ROW on vCPU CLI_CPU; sets
# rr_tx, rr_failed, rr_tps, rr_p50, rr_p90, rr_p99 and rr_errors
rr_client() {
	local r=$1 out
	shift
	out=$(ip netns exec "$NS_C" taskset -c "$CLI_CPU" "$RR" \
		-f "$(family "$(row_cstack "$r")")" -c "10.99.$(row_idx "$r").2" \
		-p "$RR_PORT" "$@" 2>&1) || die "xtcp-rr $* exited $?: $out"
	read -r rr_tx rr_failed rr_tps rr_p50 rr_p90 rr_p99 < <(printf '%s\n' "$out" |
		awk '$1 == "rr" && $2 == "conns" { print $5, $7, $11, $13, $15, $17 }')
	rr_errors=$(printf '%s\n' "$out" | sed -n 's/^rr errors //p')
	[ -n "$rr_tx" ] || die "xtcp-rr printed no result: $out"
}

metric_rr() {
	local r rep done_=0 total=$((REPS * ${#ROWS[@]})) per=$((D + 2)) t0 name

	rr_servers_start
	log "# rr: 1-byte request and response on one connection (blocking" \
		"send/recv), $D s per row"
	for ((rep = 1; rep <= REPS; rep++)); do
		for r in $(rotated "$rep"); do
			progress rr "$rep" "$r" "$done_" "$total" "$per"
			t0=$(date +%s)
			rr_client "$r" -C 1 -d "$D"
			name=$(row_name "$r")
			log "  $name: $rr_tps tx/s, p50 $rr_p50 us, p90 $rr_p90 us, p99 $rr_p99 us," \
				"$rr_tx tx, $rr_failed failed${rr_errors:+ ($rr_errors)}"
			sample rr "$name" "$rep" "$rr_tps" tx/s "$rr_failed" \
				"tx=$rr_tx${rr_errors:+ $rr_errors}"
			sample rr-p50 "$name" "$rep" "$rr_p50" us "$rr_failed" "tx=$rr_tx"
			sample rr-p99 "$name" "$rep" "$rr_p99" us "$rr_failed" "tx=$rr_tx"
			done_=$((done_ + 1))
			per=$(((per + $(date +%s) - t0 + 1) / 2))
		done
	done
	if [ "$PERF" = 1 ]; then
		for r in xx nn; do
			perf_run rr "$r" '^rr conns' "$D" ip netns exec "$NS_C" \
				taskset -c "$CLI_CPU" "$RR" -f "$(family "$(row_cstack "$r")")" \
				-c "10.99.$(row_idx "$r").2" -p "$RR_PORT" -C 1 -d "$D"
		done
	fi
	rr_servers_stop
}

metric_scale() {
	local r rep c done_=0 total=$((${#SCALE_CONNS[@]} * REPS * ${#ROWS[@]}))
	local per=$((D + 3)) t0 name

	rr_servers_start
	log "# scale: 1-byte request/response on 1, 10, 100 and 1000 connections," \
		"one request outstanding on each, one epoll client, one epoll server;" \
		"$D s per row"
	for c in "${SCALE_CONNS[@]}"; do
		for ((rep = 1; rep <= REPS; rep++)); do
			for r in $(rotated "$rep"); do
				progress "scale$c" "$rep" "$r" "$done_" "$total" "$per"
				t0=$(date +%s)
				rr_client "$r" -C "$c" -e -d "$D"
				name=$(row_name "$r")
				log "  $name: $rr_tps tx/s, p50 $rr_p50 us, p99 $rr_p99 us," \
					"$rr_tx tx, $rr_failed failed${rr_errors:+ ($rr_errors)}"
				sample "scale$c" "$name" "$rep" "$rr_tps" tx/s "$rr_failed" \
					"conns=$c tx=$rr_tx p50_us=$rr_p50${rr_errors:+ $rr_errors}"
				sample "scale$c-p99" "$name" "$rep" "$rr_p99" us "$rr_failed" \
					"conns=$c tx=$rr_tx"
				done_=$((done_ + 1))
				per=$(((per + $(date +%s) - t0 + 1) / 2))
			done
		done
	done
	rr_servers_stop
}

# ------------------------------------------------------------------ mem

MEM_NS_C=xb-mc
MEM_NS_S=xb-ms
MEM_PORT=9700

# kernel_kb: memory the kernel holds for itself, in kB: everything in use
# but user pages and the page cache (MemTotal - MemFree - AnonPages -
# Cached - Buffers), so slab, per-CPU, page tables, vmalloc and pages
# taken straight from the page allocator (a kmalloc of more than 8 kB)
# all count. Free pages parked on the per-CPU lists (/proc/zoneinfo's
# pagesets, "count:") are not in MemFree but are free: they are added
# back, or their coming and going (megabytes) would swamp the measure.
# Prints that, then Slab alone.
kernel_kb() {
	awk 'FILENAME == "/proc/zoneinfo" { if ($1 == "count:") pcp += $2; next }
		{ v[$1] = $2 }
		END {
			print v["MemTotal:"] - v["MemFree:"] - pcp * 4 - v["AnonPages:"] - v["Cached:"] - v["Buffers:"], v["Slab:"]
		}' /proc/zoneinfo /proc/meminfo
}

# slab_snapshot FILE: bytes held per slab cache (active objects x size)
slab_snapshot() {
	awk 'NR > 2 { print $1, $2 * $4 }' /proc/slabinfo >"$1"
}

# slab_growth BEFORE AFTER N: the caches that grew most, in bytes per
# connection, one line
slab_growth() {
	awk -v n="$3" 'FNR == NR { b[$1] = $2; next }
		{ d = ($2 - b[$1]) / n; if (d >= 16) printf "%d %s\n", d, $1 }' "$1" "$2" |
		sort -rn | head -8 | awk '{ printf "%s%s %d", sep, $2, $1; sep = ", " } END { print "" }'
}

# sock_growth BEFORE AFTER: the growth in bytes of the socket caches of
# the two stacks (TCP and XTCP's): what the protocols themselves hold
sock_growth() {
	awk 'FNR == NR { b[$1] = $2; next }
		$1 == "TCP" || tolower($1) ~ /xtcp/ { d += $2 - b[$1] }
		END { printf "%d\n", d }' "$1" "$2"
}

# wait_line FILE REGEX SECS: until FILE has a line matching REGEX
wait_line() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# mem_wait_gone: until neither namespace has a connection left (the
# client's exit aborted them), at most 60 s
mem_wait_gone() {
	local i
	for ((i = 0; i < 120; i++)); do
		[ "$(others "$MEM_NS_C")" = 0 ] && [ "$(others "$MEM_NS_S")" = 0 ] && return 0
		sleep 0.5
	done
	log "# connections left after 60 s: client $(others "$MEM_NS_C"), server $(others "$MEM_NS_S")"
}

# mem_row ROW REP N: N idle connections of ROW; the growth of the
# kernel's memory over N, both ends in it
mem_row() {
	local r=$1 rep=$2 n=$3 i nports k0 s0 k1 s1 held failed acc per cpid spid sock
	local cout=/tmp/mem-cli.out sout=/tmp/mem-srv.out errs name
	i=$(row_idx "$r")
	name=$(row_name "$r")
	# 64,512 ports per (client address, server address, server port): a
	# server port per 30,000 connections
	nports=$(((n + 29999) / 30000))
	ns_create "$MEM_NS_C" "$MEM_NS_S"
	ip netns exec "$MEM_NS_C" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	link_pair "$MEM_NS_C" "$MEM_NS_S" "$r"
	ip netns exec "$MEM_NS_S" taskset -c "$SRV_CPU" "$RR" -l -H \
		-f "$(family "$(row_sstack "$r")")" -b "10.99.$i.2" -p "$MEM_PORT" \
		-P "$nports" >"$sout" 2>&1 &
	spid=$!
	wait_line "$sout" '^rr listening' 20 || { cat "$sout" >&2; die "mem server did not start"; }
	slab_settle
	read -r k0 s0 < <(kernel_kb)
	slab_snapshot /tmp/mem-slab0
	ip netns exec "$MEM_NS_C" taskset -c "$CLI_CPU" "$RR" -H "$n" \
		-f "$(family "$(row_cstack "$r")")" -c "10.99.$i.2" -p "$MEM_PORT" \
		-P "$nports" >"$cout" 2>&1 &
	cpid=$!
	wait_line "$cout" '^rr held' $((n / 50 + 120)) ||
		{ cat "$cout" >&2; die "mem client of $name did not finish connecting"; }
	read -r held failed < <(awk '$1 == "rr" && $2 == "held" { print $3, $5 }' "$cout")
	errs=$(sed -n 's/^rr errors //p' "$cout")
	# the server has accepted every one of them
	for ((k = 0; k < 600; k++)); do
		acc=$(awk '$1 == "rr" && $2 == "accepted" { a = $3 } END { print a + 0 }' "$sout")
		[ "$acc" -ge "$held" ] && break
		sleep 0.1
	done
	slab_settle
	read -r k1 s1 < <(kernel_kb)
	slab_snapshot /tmp/mem-slab1
	[ "$acc" = "$held" ] || failed=$((failed + 1))
	if [ "$held" -gt 0 ]; then
		per=$(((k1 - k0) * 1024 / held))
	else
		per=NA
	fi
	log "  $name: $held connections held ($failed failed${errs:+: $errs}), server accepted $acc;" \
		"kernel +$((k1 - k0)) kB = $per B/connection, Slab +$((s1 - s0)) kB" \
		"= $(((s1 - s0) * 1024 / (held > 0 ? held : 1))) B/connection"
	log "    slab caches, bytes per connection: $(slab_growth /tmp/mem-slab0 /tmp/mem-slab1 "$((held > 0 ? held : 1))")"
	sample "mem$((n / 1000))k" "$name" "$rep" "$per" B/conn "$failed" \
		"held=$held accepted=$acc kernel_kb=$((k1 - k0)) slab_kb=$((s1 - s0)) ports=$nports${errs:+ $errs}"
	sock=NA
	[ "$held" -gt 0 ] && sock=$(($(sock_growth /tmp/mem-slab0 /tmp/mem-slab1) / held))
	sample "mem$((n / 1000))k-sock" "$name" "$rep" "$sock" B/conn "$failed" "held=$held"
	server_stop "$cpid"
	mem_wait_gone
	server_stop "$spid"
	ns_destroy "$MEM_NS_C" "$MEM_NS_S"
}

metric_mem() {
	local n r rep done_=0 total per t0
	local -a ns_

	IFS=, read -r -a ns_ <<<"$MEMN"
	total=$((${#ns_[@]} * REPS * ${#ROWS[@]}))
	per=$((ns_[0] / 500 + 30))
	# a TIME_WAIT entry of an earlier metric that expires inside a row
	# would be counted as a connection's memory going away
	tw_drain "$(cat /sys/module/xtcp/parameters/msl_ms)"
	log "# mem: N idle established connections per row (fresh namespaces)," \
		"client and server both counted; kernel memory (MemTotal - MemFree -" \
		"AnonPages - Cached - Buffers) before and after, over N"
	for n in "${ns_[@]}"; do
		for ((rep = 1; rep <= REPS; rep++)); do
			for r in $(rotated "$rep"); do
				progress "mem$((n / 1000))k" "$rep" "$r" "$done_" "$total" "$per"
				t0=$(date +%s)
				mem_row "$r" "$rep" "$n"
				done_=$((done_ + 1))
				per=$(((per + $(date +%s) - t0 + 1) / 2))
			done
		done
	done
}

# ----------------------------------------------------------------- main

cleanup() {
	local rc=$?
	jobs -p | xargs -r kill 2>/dev/null || true
	ns_destroy "$NS_C" "$NS_S" "$TW_NS_C" "$TW_NS_S" "$B_NS_R" "$MEM_NS_C" "$MEM_NS_S" \
		"${ROWS[@]/#/$B_NS_C-}" "${ROWS[@]/#/$B_NS_S-}" 2>/dev/null || true
	exit "$rc"
}
trap cleanup EXIT
trap 'die "step failed: $BASH_COMMAND (line $LINENO)"' ERR

[ "${VMRUN_GUEST-}" = 1 ] || die "this loads xtcp.ko: run it through make bench (scripts/bench)"
for f in "$KO" "$XTCPCTL" "$CRR" "$STREAM" "$RR" "$XRUN" "$repo/tools/libxtcp-preload.so"; do
	[ -e "$f" ] || die "$f is missing: make"
done

modprobe -q veth 2>/dev/null || true
if [ ! -d /sys/module/xtcp ]; then
	read -r -a params <<<"${XTCP_MODULE_PARAMS-}"
	insmod "$KO" "${params[@]}"
fi

printf 'metric\trow\trep\tvalue\tunit\tfailures\textra\n' >"$SAMPLES"
ns_create "$NS_C" "$NS_S"
for r in "${ROWS[@]}"; do
	link_pair "$NS_C" "$NS_S" "$r"
done
{
	echo "kernel $(uname -r)"
	echo "cpus $(nproc)"
	echo "module $KO $(cat /sys/module/xtcp/srcversion 2>/dev/null || true)"
	echo "module_params ${XTCP_MODULE_PARAMS-}"
	echo "xtcp_family $(cat /sys/module/xtcp/parameters/family)"
	echo "xtcp_msl_ms $(cat /sys/module/xtcp/parameters/msl_ms)"
	echo "cpu_model $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "pinning client vCPU $CLI_CPU, server vCPU $SRV_CPU"
	echo "reps $REPS d $D twn $TWN sd $SD memn $MEMN metrics $METRICS"
	for r in "${ROWS[@]}"; do
		echo "link $(row_name "$r") $(describe "$NS_C" "c-$r")"
		echo "link $(row_name "$r") $(describe "$NS_S" "s-$r")"
	done
} >"$META"
log "# topology (the same for every row):"
sed -n 's/^link /#   /p' "$META"

# xtcp_accounting: XTCP's memory account and the sockets each namespace
# still holds, after a metric, so that what one metric leaves behind is
# seen before the next one runs
xtcp_accounting() {
	local acct n ns
	acct=$(awk '$1 == "MemoryPages" || $1 == "MemoryPressure" ||
		$1 == "SocketsAllocated" { printf "%s %s ", $1, $2 }' /proc/net/xtcp_stat)
	for ns in "$NS_C" "$NS_S"; do
		n=$(ip netns exec "$ns" sh -c 'tail -n +2 /proc/net/xtcp | wc -l')
		acct="$acct$ns sockets $n "
	done
	log "# XTCP after $1: $acct"
}

IFS=, read -r -a metrics <<<"$METRICS"
xtcp_accounting boot
for m in "${metrics[@]}"; do
	case "$m" in
	crr) metric_crr ;;
	twmem) metric_twmem ;;
	loss) metric_loss ;;
	burst) metric_burst ;;
	stream) metric_stream ;;
	rr) metric_rr ;;
	scale) metric_scale ;;
	mem) metric_mem ;;
	*) die "unknown metric $m" ;;
	esac
	xtcp_accounting "$m"
done
log "[bench] done"
