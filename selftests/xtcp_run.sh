#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unmodified Debian programs over XTCP through tools/xtcp-run (the
# preload library tools/libxtcp-preload.so), both ends XTCP, client and
# server each started through xtcp-run in its namespace:
#
#   ns1 (clients)                      ns2 (servers)
#   veth1 198.51.100.1/24 <------> veth2 198.51.100.2/24
#
# Both devices are given to XTCP, so neither namespace has a kernel IPv4
# address: a socket the preload failed to divert could not connect. Every
# subtest checks that its connections went over XTCP all the same: the
# server's listener is in ns2's /proc/net/xtcp, ActiveOpens (ns1) and
# PassiveOpens (ns2) of /proc/net/xtcp_stat count at least the
# connections made, and native TCP's Tcp ActiveOpens and PassiveOpens
# (/proc/net/snmp) stay 0 in both. iperf3 and socat also find their
# connections ESTABLISHED in /proc/net/xtcp of both namespaces while they
# run. The subtests, each skipped with the reason when its program is not
# installed:
#
#   iperf3        -R -n: the client received every byte the server sent;
#                 forward -n, and -P 4 for a time: every stream moved data,
#                 iperf3 reported no error. Counts only: iperf3's own
#                 receiver count is short in forward mode on native TCP
#                 too (the server stops reading at the end of the test),
#                 and -F (send or keep a file) corrupts the data on a
#                 short write, native TCP included (seen on loopback with
#                 -w 8K), so nothing of iperf3's can be hashed.
#                 iperf3 -J records a failed TCP_INFO read as the test's
#                 error: where XTCP has no TCP_INFO, that one error is
#                 let through and the subtest ends as "SKIP XFAIL".
#   nginx         nginx-light (master and two forked workers, Debian's
#                 sendfile and tcp_nopush) serving a file to curl (SHA-256
#                 compared), then wrk's small requests: no socket error,
#                 no non-2xx answer; nginx's error log has no [crit],
#                 [alert] or [emerg].
#   redis         redis-benchmark -q: every test reports its rate, no
#                 error; redis-cli sets a value and reads it back.
#   sockperf      ping-pong (no drop, duplicate or reordering; every
#                 message answered) and throughput.
#   http_server   python3 -m http.server (threads) fetched by curl, run
#                 from `sh -c` (an exec()ed child keeps the preload),
#                 SHA-256 compared; xtcp-run -v logs the diverted socket.
#   socat         a shell behind socat EXEC, driven line by line: each
#                 command's answer is read before the next is sent.
#   cli           xtcp-run's usage (exit 2), LD_PRELOAD kept, -v.
#   reuseport     two SO_REUSEPORT listeners on one port (python3): the
#                 preload turns the option into SOL_XTCP XTCP_REUSEPORT.
#   fallback      last: unloads xtcp.ko, as module_reload.sh does. Over
#                 native TCP (kernel addresses this time) a server and a
#                 client through xtcp-run still work, each printing the
#                 one fallback line; XTCP_STRICT=1 makes socket() fail
#                 with EAFNOSUPPORT. The module is then loaded again with
#                 XTCP_MODULE_PARAMS and the family and msl_ms it had
#                 (from $XTCP_KO, else $XTCP_MODULE, else module/xtcp.ko).
#
# The defaults keep the whole program to about a minute on the stock
# kernel under TCG (62 s; 86 s with XTCP_RUN_FULL=1); the issue's sizes
# are in brackets:
#   XTCP_RUN_HTTP_BYTES    the file nginx serves to curl (16 MiB) [64 MiB]
#   XTCP_RUN_IPERF_BYTES   iperf3 -n, both directions (8 MiB)
#   XTCP_RUN_IPERF_SECONDS iperf3 -P 4 run time (2)
#   XTCP_RUN_WRK_SECONDS   wrk's run time (3)
#   XTCP_RUN_REDIS_N       redis-benchmark -n (20000) [20000]
#   XTCP_RUN_REDIS_TESTS   redis-benchmark -t (ping,set,get,incr,lpush,
#                          lpop) [every test: set it to "all"]
#   XTCP_RUN_FULL=1        the issue's sizes for all of them
#   XTCP_RUN_TESTS         the subtests to run, by name (default: all)
#   XTCP_RUN_STRACE=1      every program under strace -f (network and
#                          ioctl calls); after each subtest, the calls that
#                          failed other than with EAGAIN or EINPROGRESS
#                          are listed: where XTCP's API differs, it shows.
#                          Slow (redis-benchmark takes minutes): each
#                          client's bound is 5 times longer

# shellcheck source=xtcp_lib.sh
. "$(dirname "$0")/xtcp_lib.sh"

ADDR1=198.51.100.1
ADDR2=198.51.100.2
RUN=${XTCP_RUN:-$xtcp_lib_top/tools/xtcp-run}
PRELOAD=$xtcp_lib_top/tools/libxtcp-preload.so
KO=${XTCP_KO:-${XTCP_MODULE:-$xtcp_lib_top/module/xtcp.ko}}
SCALE=${XTCP_TIMEOUT_SCALE:-1}
# one client's bound, seconds
TIMEOUT=$((60 * SCALE))
[ "${XTCP_RUN_STRACE:-0}" != 1 ] || TIMEOUT=$((5 * TIMEOUT))

if [ "${XTCP_RUN_FULL:-0}" = 1 ]; then
	HTTP_BYTES=${XTCP_RUN_HTTP_BYTES:-67108864}
	REDIS_TESTS=${XTCP_RUN_REDIS_TESTS:-all}
else
	HTTP_BYTES=${XTCP_RUN_HTTP_BYTES:-16777216}
	REDIS_TESTS=${XTCP_RUN_REDIS_TESTS:-ping,set,get,incr,lpush,lpop}
fi
IPERF_BYTES=${XTCP_RUN_IPERF_BYTES:-8388608}
IPERF_SECONDS=${XTCP_RUN_IPERF_SECONDS:-2}
WRK_SECONDS=${XTCP_RUN_WRK_SECONDS:-3}
REDIS_N=${XTCP_RUN_REDIS_N:-20000}

ns1=
ns2=
dir=

# setup PROGRAM...: skip unless installed, then the topology and a
# scratch directory ($dir) for this subtest
setup() {
	xtcp_lib_require_xtcp
	{ [ -x "$RUN" ] && [ -f "$PRELOAD" ]; } ||
		xtcp_lib_skip "no $RUN or $PRELOAD: make tools"
	xtcp_lib_require_cmd "$@"
	xtcp_lib_ns_create ns1 ns2
	xtcp_lib_veth "$ns1" veth1 "$ns2" veth2
	xtcp_lib_attach "$ns1" veth1 "$ADDR1/24"
	xtcp_lib_attach "$ns2" veth2 "$ADDR2/24"
	dir=$xtcp_lib_tmp/$BASHPID
	mkdir -p "$dir"
}

# strace_prefix: in $tr, what puts a command under strace with
# XTCP_RUN_STRACE=1 (nothing without)
strace_prefix() {
	tr=()
	if [ "${XTCP_RUN_STRACE:-0}" = 1 ]; then
		mkdir -p "$xtcp_lib_tmp/strace"
		tr=(strace -f -qq --seccomp-bpf -e "trace=network,ioctl"
			-o "$xtcp_lib_tmp/strace/$BASHPID.$RANDOM")
	fi
}

# strace_report: the failed calls the programs of the last subtest made
strace_report() {
	[ -d "$xtcp_lib_tmp/strace" ] || return 0
	cat "$xtcp_lib_tmp"/strace/* 2>/dev/null |
		grep -E '= -1 E' | grep -v -e EAGAIN -e EINPROGRESS |
		sed -E 's/^[0-9]+ +//; s/\(([0-9]+), /(fd, /; s/0x[0-9a-f]+/ADDR/g' |
		sort | uniq -c | sort -rn | head -n 20 | sed 's/^/# strace: /'
	rm -rf "$xtcp_lib_tmp/strace"
}

# run1 CMD...: CMD through xtcp-run in the client's namespace, bounded
run1() {
	local tr
	strace_prefix
	ip netns exec "$ns1" timeout "$TIMEOUT" "${tr[@]}" "$RUN" "$@"
}

# server LOG CMD...: CMD through xtcp-run in ns2, in the background, its
# output in LOG; killed at cleanup
server() {
	local log=$1 tr
	shift
	strace_prefix
	xtcp_lib_bg "$ns2" "${tr[@]}" "$RUN" "$@" >"$log" 2>&1
}

# listening PORT: the server listens on PORT, on XTCP (ns2's
# /proc/net/xtcp); a server that died instead fails at once
listening() {
	local i kids
	for ((i = 0; i < 3; i++)); do
		kill -0 "$xtcp_lib_bg_pid" 2>/dev/null ||
			xtcp_lib_fail "the server exited before listening on $1"
		# short waits, so that a dead server is noticed early
		xtcp_lib_wait_listen "$ns2" xtcp "$1" 10 >/dev/null 2>&1 &&
			break
	done
	[ "$i" -lt 3 ] || xtcp_lib_fail "no XTCP listener on port $1"
	if [ "${XTCP_RUN_STRACE:-0}" = 1 ]; then
		# the tracee goes first, then strace ends with it (a killed
		# strace would let it go on)
		mapfile -t kids < <(pgrep -P "$xtcp_lib_bg_pid")
		xtcp_lib_pids=("${kids[@]}" "${xtcp_lib_pids[@]}")
	fi
}

# established NS LPORT RPORT: that connection is in NS's /proc/net/xtcp
# as ESTABLISHED
established() {
	xtcp_lib_wait_state "$1" xtcp "$2" "$3" 01 20 ||
		xtcp_lib_fail "no ESTABLISHED XTCP connection $2 -> $3 in $1"
}

# over_xtcp N: at least N connections, every one of them XTCP's
over_xtcp() {
	local active passive ns name v
	active=$(xtcp_lib_counter "$ns1" ActiveOpens)
	passive=$(xtcp_lib_counter "$ns2" PassiveOpens)
	xtcp_lib_log "XTCP ActiveOpens $active (client), PassiveOpens $passive (server)"
	{ [ "$active" -ge "$1" ] && [ "$passive" -ge "$1" ]; } ||
		xtcp_lib_fail "fewer than $1 XTCP connections"
	for ns in "$ns1" "$ns2"; do
		for name in ActiveOpens PassiveOpens; do
			v=$(xtcp_lib_snmp "$ns" Tcp "$name")
			[ "$v" = 0 ] ||
				xtcp_lib_fail "native TCP $name is $v in $ns"
		done
	done
}

sha() {
	local h
	read -r h _ < <(sha256sum "$1")
	echo "$h"
}

# same_file A B: same SHA-256 (and so the same bytes)
same_file() {
	local a b
	a=$(sha "$1")
	b=$(sha "$2")
	xtcp_lib_log "sha256 $a $(stat -c %s "$1") bytes; received $b $(stat -c %s "$2") bytes"
	[ "$a" = "$b" ] || xtcp_lib_fail "$2 differs from $1"
}

# iperf_check FILE STREAMS: iperf3 -J output without error, STREAMS
# streams, each of which moved data; prints "sent received". The one
# error $iperf_xfail names is let through, and noted in $dir/xfail.
iperf_check() {
	python3 - "$1" "$2" "$iperf_xfail" "$dir/xfail" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
if "error" in j:
    if not sys.argv[3] or j["error"] != sys.argv[3]:
        sys.exit("iperf3: " + j["error"])
    open(sys.argv[4], "w").write(j["error"] + "\n")
e = j["end"]
streams = e["streams"]
if len(streams) != int(sys.argv[2]):
    sys.exit("%d streams, not %s" % (len(streams), sys.argv[2]))
for s in streams:
    side = s.get("receiver") or s["sender"]
    if side["bytes"] <= 0 or s["sender"]["bytes"] <= 0:
        sys.exit("a stream moved no data")
print(e["sum_sent"]["bytes"], e["sum_received"]["bytes"])
EOF
}

# iperf3 reads TCP_INFO every interval, and with -J records a failure as
# the test's error. Where XTCP has no TCP_INFO that error is let through,
# everything else checked, and the subtest ends as an XFAIL (a skip that
# says why); once XTCP has TCP_INFO it is a failure like any other.
iperf_xfail=

test_iperf3() {
	local port cport out sent recv tr pid
	setup iperf3 python3
	if ! run1 python3 -c 'import socket
socket.socket().getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)' \
		2>/dev/null; then
		iperf_xfail="getsockopt - Protocol not available"
	fi
	port=$(xtcp_lib_port)
	cport=$((port + 1))
	server "$dir/srv.log" iperf3 -s -B "$ADDR2" -p "$port"
	listening "$port"

	# -R: the client receives exactly what the server sends
	out=$dir/r.json
	run1 iperf3 -c "$ADDR2" -p "$port" -R -n "$IPERF_BYTES" -J >"$out" ||
		{ cat "$out"; xtcp_lib_fail "iperf3 -R failed"; }
	read -r sent recv < <(iperf_check "$out" 1) ||
		xtcp_lib_fail "iperf3 -R: bad report"
	xtcp_lib_log "iperf3 -R: sent $sent, received $recv"
	{ [ "$sent" = "$IPERF_BYTES" ] && [ "$recv" = "$sent" ]; } ||
		xtcp_lib_fail "iperf3 -R: $sent sent, $recv received, not $IPERF_BYTES"

	# forward, then 4 streams for a time
	out=$dir/f.json
	run1 iperf3 -c "$ADDR2" -p "$port" -n "$IPERF_BYTES" -J >"$out" ||
		{ cat "$out"; xtcp_lib_fail "iperf3 failed"; }
	read -r sent recv < <(iperf_check "$out" 1) ||
		xtcp_lib_fail "iperf3: bad report"
	xtcp_lib_log "iperf3: sent $sent, received $recv"
	[ "$sent" -ge "$IPERF_BYTES" ] || xtcp_lib_fail "sent only $sent"

	out=$dir/p4.json
	strace_prefix
	ip netns exec "$ns1" timeout "$TIMEOUT" "${tr[@]}" "$RUN" iperf3 \
		-c "$ADDR2" -p "$port" -P 4 -t "$IPERF_SECONDS" --cport "$cport" \
		-J >"$out" &
	pid=$!
	xtcp_lib_pids+=("$pid")
	established "$ns1" "$cport" "$port"
	established "$ns2" "$port" "$cport"
	wait "$pid" || { cat "$out"; xtcp_lib_fail "iperf3 -P 4 failed"; }
	read -r sent recv < <(iperf_check "$out" 4) ||
		xtcp_lib_fail "iperf3 -P 4: bad report"
	xtcp_lib_log "iperf3 -P 4: sent $sent, received $recv"
	# control and data connections: 2 + 2 + 5
	over_xtcp 9
	if [ -s "$dir/xfail" ]; then
		xtcp_lib_skip "XFAIL: XTCP has no TCP_INFO: iperf3 -J says '$(cat "$dir/xfail")'; all else passed"
	fi
}

test_nginx() {
	local port rc code out n
	setup nginx curl wrk
	port=$(xtcp_lib_port)
	mkdir -p "$dir/www"
	head -c "$HTTP_BYTES" /dev/urandom >"$dir/www/big"
	head -c 1024 /dev/urandom >"$dir/www/small"
	# Debian's nginx.conf where it matters to sockets (sendfile,
	# tcp_nopush), everything written under $dir: the VM's / is read-only
	cat >"$dir/nginx.conf" <<-EOF
		daemon off;
		master_process on;
		worker_processes 2;
		user root;
		pid $dir/nginx.pid;
		error_log $dir/error.log;
		events { worker_connections 256; }
		http {
			access_log off;
			sendfile on;
			tcp_nopush on;
			keepalive_timeout 65;
			client_body_temp_path $dir/body;
			proxy_temp_path $dir/proxy;
			fastcgi_temp_path $dir/fastcgi;
			uwsgi_temp_path $dir/uwsgi;
			scgi_temp_path $dir/scgi;
			server {
				listen $ADDR2:$port;
				root $dir/www;
			}
		}
	EOF
	server "$dir/nginx.out" nginx -c "$dir/nginx.conf" -e "$dir/error.log"
	listening "$port"

	code=$(run1 curl -sS -o "$dir/got" -w '%{http_code}' \
		"http://$ADDR2:$port/big") || xtcp_lib_fail "curl failed"
	[ "$code" = 200 ] || xtcp_lib_fail "HTTP $code"
	same_file "$dir/www/big" "$dir/got"

	out=$dir/wrk.out
	rc=0
	run1 wrk -t 2 -c 16 -d "${WRK_SECONDS}s" --timeout "$((10 * SCALE))s" \
		"http://$ADDR2:$port/small" >"$out" 2>&1 || rc=$?
	sed 's/^/# wrk: /' "$out"
	[ "$rc" = 0 ] || xtcp_lib_fail "wrk failed ($rc)"
	n=$(awk '/requests in/ { print $1 }' "$out")
	{ [ -n "$n" ] && [ "$n" -gt 0 ]; } || xtcp_lib_fail "wrk made no request"
	! grep -q -e 'Socket errors' -e 'Non-2xx' "$out" ||
		xtcp_lib_fail "wrk saw errors"
	if grep -E '\[(crit|alert|emerg)\]' "$dir/error.log"; then
		xtcp_lib_fail "nginx logged errors"
	fi
	# curl's one, then wrk's 16
	over_xtcp 17
}

test_redis() {
	local port out tests=()
	setup redis-server redis-benchmark redis-cli
	port=$(xtcp_lib_port)
	server "$dir/redis.out" redis-server --bind "$ADDR2" --port "$port" \
		--save "" --appendonly no --dir "$dir" --protected-mode no \
		--daemonize no --logfile "$dir/redis.log"
	listening "$port"

	out=$dir/bench.out
	[ "$REDIS_TESTS" = all ] || tests=(-t "$REDIS_TESTS")
	run1 redis-benchmark -h "$ADDR2" -p "$port" -q -n "$REDIS_N" \
		"${tests[@]}" >"$out" 2>&1 ||
		{ cat "$out"; xtcp_lib_fail "redis-benchmark failed"; }
	# -q prints "\r" progress, then "NAME: N requests per second, ..."
	tr '\r' '\n' <"$out" | grep 'requests per second' | sed 's/^/# /'
	if tr '\r' '\n' <"$out" | grep -i -e error -e 'connection refused'; then
		xtcp_lib_fail "redis-benchmark saw errors"
	fi
	tr '\r' '\n' <"$out" | grep -q 'requests per second' ||
		xtcp_lib_fail "redis-benchmark reported nothing"

	# a value of 64 KiB set and read back
	head -c 49152 /dev/urandom | base64 -w0 >"$dir/value"
	[ "$(run1 redis-cli -h "$ADDR2" -p "$port" -x set xtcp-key \
		<"$dir/value")" = OK ] || xtcp_lib_fail "redis-cli set failed"
	run1 redis-cli -h "$ADDR2" -p "$port" --raw get xtcp-key |
		head -c "$(stat -c %s "$dir/value")" >"$dir/got"
	same_file "$dir/value" "$dir/got"
	over_xtcp 3
}

test_sockperf() {
	local port out sent recv
	setup sockperf
	port=$(xtcp_lib_port)
	server "$dir/srv.out" sockperf server --tcp -i "$ADDR2" -p "$port"
	listening "$port"

	out=$dir/pp.out
	run1 sockperf ping-pong --tcp -i "$ADDR2" -p "$port" -t 2 >"$out" 2>&1 ||
		{ cat "$out"; xtcp_lib_fail "sockperf ping-pong failed"; }
	grep -e 'Valid Duration' -e 'dropped' -e 'Summary' "$out" | sed 's/^/# /'
	read -r sent recv < <(sed -n \
		's/.*Valid Duration.*SentMessages=\([0-9]*\); ReceivedMessages=\([0-9]*\).*/\1 \2/p' \
		"$out")
	{ [ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$sent" = "$recv" ]; } ||
		xtcp_lib_fail "ping-pong: sent ${sent:-?}, received ${recv:-?}"
	grep -q 'dropped messages = 0; # duplicated messages = 0; # out-of-order messages = 0' \
		"$out" || xtcp_lib_fail "ping-pong lost, duplicated or reordered"

	out=$dir/tp.out
	run1 sockperf throughput --tcp -i "$ADDR2" -p "$port" -t 2 -m 1400 \
		>"$out" 2>&1 || { cat "$out"; xtcp_lib_fail "sockperf throughput failed"; }
	grep -e 'Total of' -e 'Summary' "$out" | sed 's/^/# /'
	sent=$(sed -n 's/.*Total of \([0-9]*\) messages sent.*/\1/p' "$out")
	{ [ -n "$sent" ] && [ "$sent" -gt 0 ]; } ||
		xtcp_lib_fail "throughput sent nothing"
	over_xtcp 2
}

test_http_server() {
	local port code
	setup python3 curl
	port=$(xtcp_lib_port)
	mkdir -p "$dir/www"
	head -c 1048576 /dev/urandom >"$dir/www/file"
	server "$dir/srv.out" -v python3 -m http.server --bind "$ADDR2" \
		--directory "$dir/www" "$port"
	listening "$port"
	# the program is sh; curl is its exec()ed child
	code=$(run1 sh -c 'exec curl -sS -o "$1" -w "%{http_code}" "$2"' sh \
		"$dir/got" "http://$ADDR2:$port/file") || xtcp_lib_fail "curl failed"
	[ "$code" = 200 ] || xtcp_lib_fail "HTTP $code"
	same_file "$dir/www/file" "$dir/got"
	grep -q 'over XTCP' "$dir/srv.out" ||
		xtcp_lib_fail "xtcp-run -v logged no diverted socket"
	sed -n '/xtcp-run/s/^/# /p' "$dir/srv.out"
	over_xtcp 1
}

test_socat() {
	local port cport line token want i tr
	setup socat sha256sum
	port=$(xtcp_lib_port)
	cport=$((port + 1))
	server "$dir/srv.out" socat "TCP4-LISTEN:$port,bind=$ADDR2,reuseaddr" \
		EXEC:/bin/sh,stderr
	listening "$port"
	strace_prefix
	coproc SOCAT {
		ip netns exec "$ns1" timeout "$TIMEOUT" "${tr[@]}" "$RUN" \
			socat - "TCP4:$ADDR2:$port,sourceport=$cport" 2>&1
	}
	xtcp_lib_pids+=("$SOCAT_PID")
	# one command, one answer, in turn
	for i in 1 2 3; do
		token=$i-$RANDOM$RANDOM
		echo "echo hello $token" >&"${SOCAT[1]}"
		read -r -t "$TIMEOUT" line <&"${SOCAT[0]}" ||
			xtcp_lib_fail "no answer to command $i"
		[ "$line" = "hello $token" ] ||
			xtcp_lib_fail "answer $i: '$line'"
	done
	established "$ns1" "$cport" "$port"
	established "$ns2" "$port" "$cport"
	want=$(printf '%s\n' "$token" | sha256sum)
	printf '%s\n' "printf '%s\\n' $token | sha256sum" >&"${SOCAT[1]}"
	read -r -t "$TIMEOUT" line <&"${SOCAT[0]}" || xtcp_lib_fail "no hash"
	[ "$line" = "$want" ] || xtcp_lib_fail "hash '$line', not '$want'"
	xtcp_lib_log "4 exchanges through a remote shell"
	echo exit >&"${SOCAT[1]}"
	wait "$SOCAT_PID" || xtcp_lib_fail "socat client failed"
	over_xtcp 1
}

test_cli() {
	local rc
	{ [ -x "$RUN" ] && [ -f "$PRELOAD" ]; } ||
		xtcp_lib_skip "no $RUN or $PRELOAD: make tools"
	rc=0
	"$RUN" >/dev/null 2>"$xtcp_lib_tmp/err" || rc=$?
	{ [ "$rc" = 2 ] && grep -q usage "$xtcp_lib_tmp/err"; } ||
		xtcp_lib_fail "no program: exit $rc, not 2 with usage"
	rc=0
	"$RUN" -x true >/dev/null 2>"$xtcp_lib_tmp/err" || rc=$?
	{ [ "$rc" = 2 ] && grep -q usage "$xtcp_lib_tmp/err"; } ||
		xtcp_lib_fail "bad option: exit $rc, not 2 with usage"
	# a preload already set stays, after ours
	[ "$(LD_PRELOAD=$PRELOAD "$RUN" sh -c 'echo "$LD_PRELOAD"')" = \
		"$PRELOAD:$PRELOAD" ] || xtcp_lib_fail "LD_PRELOAD not kept"
	[ "$("$RUN" -v sh -c 'echo "$XTCP_DEBUG"')" = 1 ] ||
		xtcp_lib_fail "-v does not set XTCP_DEBUG=1"
}

# SO_REUSEPORT through the preload: the socket layer refuses it for
# AF_XTCP (EOPNOTSUPP), and the preload sets SOL_XTCP XTCP_REUSEPORT
# instead; two XTCP listeners then share a port, and each reads
# SO_REUSEPORT back as 1. (How they share it: sock_conf reuseport_spread.)
test_reuseport() {
	local port out fam
	setup python3
	port=$(xtcp_lib_port)
	out=$(ip netns exec "$ns2" timeout "$TIMEOUT" "$RUN" python3 -c '
import socket, sys
ls = []
for i in range(2):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind((sys.argv[1], int(sys.argv[2])))
    s.listen()
    ls.append(s)
print(*[s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) for s in ls],
      *[s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) for s in ls])
' "$ADDR2" "$port") || xtcp_lib_fail "two SO_REUSEPORT listeners: $out"
	read -r fam <"$XTCP_PARAMS/family"
	[ "$out" = "$fam $fam 1 1" ] ||
		xtcp_lib_fail "SO_DOMAIN, SO_REUSEPORT: '$out', not '$fam $fam 1 1'"
}

# What the module had, to load it again as it was.
family=
msl=

reload_xtcp() {
	local params=()
	[ -e /sys/module/xtcp ] && return 0
	read -r -a params <<<"${XTCP_MODULE_PARAMS-}"
	insmod "$KO" "${params[@]}" family="$family" msl_ms="$msl"
}

unload_xtcp() {
	local i refcnt
	for ((i = 0; i < 200 * SCALE; i++)); do
		read -r refcnt </sys/module/xtcp/refcnt
		[ "$refcnt" = 0 ] && break
		sleep 0.05
	done
	rmmod xtcp || xtcp_lib_fail "rmmod xtcp failed (refcnt $refcnt)"
}

fallback_body() {
	local port code out fb
	xtcp_lib_ns_create ns1 ns2
	xtcp_lib_veth "$ns1" veth1 "$ns2" veth2
	xtcp_lib_native "$ns1" veth1 "$ADDR1/24"
	xtcp_lib_native "$ns2" veth2 "$ADDR2/24"
	dir=$xtcp_lib_tmp/$BASHPID
	mkdir -p "$dir/www"
	head -c 1048576 /dev/urandom >"$dir/www/file"
	port=$(xtcp_lib_port)
	unload_xtcp

	server "$dir/srv.out" python3 -m http.server --bind "$ADDR2" \
		--directory "$dir/www" "$port"
	xtcp_lib_wait_listen "$ns2" tcp "$port" 20 ||
		xtcp_lib_fail "no native listener"
	# three connections from one client: one line
	code=$(run1 curl -sS -H 'Connection: close' -w '%{http_code}' \
		-o "$dir/got1" "http://$ADDR2:$port/file" \
		-o "$dir/got2" "http://$ADDR2:$port/file" \
		-o "$dir/got3" "http://$ADDR2:$port/file" 2>"$dir/cli.err") ||
		{ cat "$dir/cli.err"; xtcp_lib_fail "curl failed over native TCP"; }
	[ "$code" = 200200200 ] || xtcp_lib_fail "HTTP $code"
	same_file "$dir/www/file" "$dir/got3"
	for out in "$dir/cli.err" "$dir/srv.out"; do
		sed -n '/xtcp-run/s/^/# /p' "$out"
		fb=$(grep -c 'XTCP not available' "$out")
		[ "$fb" = 1 ] || xtcp_lib_fail "$fb fallback lines in $out, not 1"
	done
	[ "$(xtcp_lib_snmp "$ns2" Tcp PassiveOpens)" -ge 3 ] ||
		xtcp_lib_fail "the connections were not native TCP"

	# XTCP_STRICT=1: socket() fails, EAFNOSUPPORT
	out=$(XTCP_STRICT=1 run1 python3 -c '
import errno, socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print("created")
except OSError as e:
    print(errno.errorcode[e.errno])' 2>"$dir/strict.err")
	[ "$out" = EAFNOSUPPORT ] || xtcp_lib_fail "XTCP_STRICT=1: $out"
	# and what is not IPv4 TCP is untouched
	out=$(XTCP_STRICT=1 run1 python3 -c '
import socket
socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
socket.socketpair()
print("ok")')
	[ "$out" = ok ] || xtcp_lib_fail "XTCP_STRICT=1 refused a non-TCP socket"
	xtcp_lib_log "XTCP_STRICT=1: EAFNOSUPPORT"
}

# The test's EXIT trap: the module back first, then the usual cleanup
# (which wants $? to be the test's status).
fallback_cleanup() {
	local rc=$?
	if ! reload_xtcp; then
		xtcp_lib_log "FAIL: insmod $KO failed"
		[ "$rc" != 0 ] || rc=$KSFT_FAIL
	fi
	(exit "$rc")
	xtcp_lib_test_cleanup
}

test_fallback() {
	xtcp_lib_require_xtcp
	{ [ -x "$RUN" ] && [ -f "$PRELOAD" ]; } ||
		xtcp_lib_skip "no $RUN or $PRELOAD: make tools"
	xtcp_lib_require_cmd python3 curl
	[ -r "$KO" ] || xtcp_lib_skip "no module file $KO to load again"
	read -r family <"$XTCP_PARAMS/family"
	read -r msl <"$XTCP_PARAMS/msl_ms"
	trap fallback_cleanup EXIT
	fallback_body
}

# name function: the subtests, in order (fallback last: it unloads the
# module)
SUBTESTS=(
	"cli test_cli"
	"iperf3 test_iperf3"
	"nginx test_nginx"
	"redis test_redis"
	"sockperf test_sockperf"
	"http_server test_http_server"
	"socat test_socat"
	"reuseport test_reuseport"
	"fallback test_fallback"
)

xtcp_lib_init
for t in "${SUBTESTS[@]}"; do
	name=${t% *}
	case " ${XTCP_RUN_TESTS:-$name} " in
	*" $name "*)
		started=$SECONDS
		xtcp_lib_test "xtcp_run_$name" "${t#* }"
		xtcp_lib_log "xtcp_run_$name took $((SECONDS - started))s"
		strace_report
		;;
	esac
done
xtcp_lib_exit
